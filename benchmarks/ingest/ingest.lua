-- Posts interactions: 3 of 4 valid, 1 of 4 with properties that are dropped (wrong type, unknown).
-- Each request gets its own createdDate and rating so no two bodies are alike.
-- The contacts go round BENCH_CONTACTS (comma-separated; BENCH_CONTACT when it is unset).
local contacts = {}
for id in string.gmatch(os.getenv("BENCH_CONTACTS") or os.getenv("BENCH_CONTACT"), "[^,]+") do
  contacts[#contacts + 1] = id
end
local counter = 0

request = function()
  counter = counter + 1
  local rating = (counter % 5) + 1
  local payload
  if counter % 4 == 0 then
    payload = string.format(
      '{"productSku":"SKU-%d","rating":%d,"title":42,"colour":"blue"}', counter, rating)
  else
    payload = string.format(
      '{"productSku":"SKU-%d","rating":%d,"title":"Fits well","text":"Warm and light."}',
      counter, rating)
  end
  local contact = contacts[(counter % #contacts) + 1]
  local body = string.format(
    '{"contactId":"%s","schemaId":"review","createdDate":"2026-01-%02dT10:%02d:%02dZ","payload":%s}',
    contact, (counter % 28) + 1, counter % 60, (counter * 7) % 60, payload)
  return wrk.format("POST", "/api/v2/interactions", nil, body)
end

response = function(status, headers, body)
  if status ~= 200 then
    print("unexpected status " .. status .. ": " .. body)
  end
end
