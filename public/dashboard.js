// A large quarter's dashboard folds the teams other than yours. Opening
// one puts its rows in place, as the server renders them at
// /dashboard/team; without JavaScript the folded part holds a link to the
// dashboard of that team alone. The listener is on the document, so it
// keeps working after the check-in dialog swaps the dashboard for a fresh
// copy.
document.addEventListener('toggle', async (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open) return;
  const url = details.dataset.rows;
  if (!url || details.dataset.loaded) return;
  details.dataset.loaded = 'loading';
  const body = details.querySelector('.team-rows-body');
  body.setAttribute('aria-busy', 'true');
  try {
    const response = await fetch(url, { headers: { Accept: 'text/html' } });
    if (!response.ok) throw new Error(`${response.status}`);
    body.innerHTML = await response.text();
    details.dataset.loaded = 'yes';
  } catch {
    // The link to the team's own dashboard stays; opening again retries.
    delete details.dataset.loaded;
  } finally {
    body.removeAttribute('aria-busy');
  }
}, true);
