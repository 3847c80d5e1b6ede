-- wrk script: POST /v1/predict/{MODEL} with one row per request, the same row as the anchor's
-- post.lua ({"age": 35}), in Tributary's body shape.
local model = os.getenv("MODEL") or "salary-rf"
wrk.method = "POST"
wrk.path = "/v1/predict/" .. model
wrk.body = '{"rows":[{"age":35}]}'
wrk.headers["Content-Type"] = "application/json"
