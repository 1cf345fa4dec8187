-- 承办单位 directory (names for the bulletin).
SELECT u.unit_code, {{ txt('u.unit_name') }} AS unit_name FROM units u
