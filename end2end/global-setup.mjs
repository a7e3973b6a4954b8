// Waits for the server under test to answer /api/health, so the suite can be
// started together with the server (as `cargo leptos end-to-end` does).
const BASE_URL = process.env.BASE_URL || 'http://127.0.0.1:3000';
const WAIT_MS = 120_000;

export default async function waitForServer() {
  const deadline = Date.now() + WAIT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(new URL('/api/health', BASE_URL));
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${BASE_URL}/api/health did not answer 200 within ${WAIT_MS / 1000} s (last: ${last})`);
}
