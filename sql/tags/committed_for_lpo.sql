-- What the LPO's live tags already claim (DOMAIN "Tags" step 6): every tag that is neither
-- BLOCKED, CANCELLED nor DELIVERED counts once; delivered quantity is added by the caller.
SELECT COALESCE(SUM(required_area_m2), 0) AS claimed_m2
FROM tag_sheet
WHERE lpo_id = :lpo_id
  AND status NOT IN ('BLOCKED', 'CANCELLED', 'DELIVERED')
