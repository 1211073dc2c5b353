/** The HTML shell of every dashboard page: server-rendered navigation, content by `app.js`. */

/** Each page: its path, its label, and the permission its link needs (else every key). */
const PAGES: [string, string, string?][] = [
  ['overview', 'Overview'],
  ['queues', 'Queues'],
  ['jobs', 'Jobs'],
  ['dead-letter', 'Dead letter'],
  ['schedules', 'Schedules'],
  ['workers', 'Workers'],
  ['keys', 'API keys', 'keys:manage'],
  ['audit', 'Audit log', 'audit:read'],
];

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** The page for `page` (`job` for one job's detail, with its id). */
export function dashboardPage(
  page: string,
  version: string,
  jobId?: string,
  csrf?: string,
  can?: readonly string[],
): string {
  const nav = PAGES.filter(
    ([id, , permission]) => permission === undefined || id === page || can?.includes(permission),
  )
    .map(
      ([id, label]) =>
        `<a href="/ui/${id === 'overview' ? '' : id}"${id === page ? ' aria-current="page"' : ''}>${label}</a>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">${can === undefined ? '' : `\n<meta name="gq-can" content="${escapeHtml(can.join(' '))}">`}${
    csrf === undefined
      ? ''
      : `
<meta name="gq-csrf" content="${escapeHtml(csrf)}">`
  }
<title>GopherQueue</title>
<link rel="icon" href="data:,">
${page === 'overview' ? '<link rel="stylesheet" href="/ui/assets/uplot.css">\n' : ''}<link rel="stylesheet" href="/ui/assets/app.css">
</head>
<body data-page="${escapeHtml(page)}"${jobId === undefined ? '' : ` data-job-id="${escapeHtml(jobId)}"`}>
<a class="skip" href="#main">Skip to content</a>
<header><strong>GopherQueue</strong> <span class="muted">${escapeHtml(version)}</span><nav aria-label="Pages">${nav}</nav></header>
<p id="status" class="status" role="status" aria-live="polite"></p>
<main id="main" tabindex="-1"><p class="muted">Loading…</p></main>
<script src="/ui/assets/app.js" defer></script>${
    // The chart code only where charts are drawn, and off the path to the first numbers.
    page === 'overview' ? '\n<script id="uplot-js" src="/ui/assets/uplot.js" async></script>' : ''
  }
</body>
</html>`;
}
