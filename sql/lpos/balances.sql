-- PO quantity, committed and remaining per LPO (committed = delivered + live tags' areas).
SELECT l.lpo_id,
       l.customer_lpo_ref,
       l.customer,
       l.project_id,
       l.plant_id,
       l.status,
       l.currency,
       l.po_quantity_m2,
       l.delivered_quantity_m2,
       l.delivered_quantity_m2 + COALESCE(SUM(t.required_area_m2), 0) AS committed_m2,
       l.po_quantity_m2 - l.delivered_quantity_m2 - COALESCE(SUM(t.required_area_m2), 0) AS remaining_m2,
       COUNT(t.tag_id) AS live_tags
FROM lpo_master l
LEFT JOIN tag_sheet t
       ON t.lpo_id = l.lpo_id
      AND t.status NOT IN ('BLOCKED', 'CANCELLED', 'DELIVERED')
GROUP BY l.lpo_id, l.customer_lpo_ref, l.customer, l.project_id, l.plant_id, l.status, l.currency,
         l.po_quantity_m2, l.delivered_quantity_m2
ORDER BY l.lpo_id
