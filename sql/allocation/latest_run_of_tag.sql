-- The latest date a tag has a current allocation for (NULL: never allocated).
SELECT MAX(run_date) AS run_date
FROM allocation_line
WHERE tag_id = :tag_id AND superseded = FALSE
