// GET /api/health reports the server and its database.
import { test, expect } from '@playwright/test';

// RFC 3339 date-time: 2025-01-20T09:00:00Z, 2025-01-20T09:00:00.123456+00:00, ...
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

test('GET /api/health is 200 JSON {status: ok, timestamp, database: connected}', async ({ request }) => {
  const before = Date.now();
  const response = await request.get('/api/health');
  expect(response.status(), 'status').toBe(200);
  expect(response.headers()['content-type'] ?? '', 'content-type').toContain('application/json');

  const body = await response.json();
  expect(Object.keys(body).sort(), 'keys').toEqual(['database', 'status', 'timestamp']);
  expect(body.status).toBe('ok');
  expect(body.database).toBe('connected');

  expect(typeof body.timestamp).toBe('string');
  expect(body.timestamp, 'timestamp is RFC 3339').toMatch(RFC3339);
  const timestamp = Date.parse(body.timestamp);
  expect(Number.isNaN(timestamp), `timestamp ${body.timestamp} parses as a date`).toBe(false);
  // A fresh reading, not a constant: within a few minutes of this machine's clock.
  expect(Math.abs(timestamp - before), 'timestamp is close to now').toBeLessThan(5 * 60_000);
});
