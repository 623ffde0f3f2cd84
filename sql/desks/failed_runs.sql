-- Failed job runs since a moment, newest first.
SELECT r.*
FROM job_run r
WHERE r.status = 'failed'
  AND r.created_at >= :since
ORDER BY r.created_at DESC, r.run_id DESC
