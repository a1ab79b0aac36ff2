/** The headline page: polls /api/summary every second. Plain HTML, no build step. */
export const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bitcrawl</title>
<style>
 body{font:15px system-ui,sans-serif;margin:2rem;color:#222}
 h1{font-size:1.4rem} .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:1rem}
 .card{border:1px solid #ddd;border-radius:8px;padding:.8rem} .card b{display:block;font-size:1.6rem}
 table{border-collapse:collapse;margin-top:1rem} td,th{padding:.2rem .8rem;border-bottom:1px solid #eee;text-align:right}
 a{color:#0057b7}
</style></head>
<body>
<h1>bitcrawl <small id="round"></small></h1>
<div class="grid">
 <div class="card">jobs waiting<b id="waiting">-</b></div>
 <div class="card">jobs active<b id="active">-</b></div>
 <div class="card">jobs delayed<b id="delayed">-</b></div>
 <div class="card">visited / seen<b id="visited">-</b></div>
 <div class="card">reachable<b id="reachable">-</b></div>
 <div class="card">visits/s<b id="rate">-</b></div>
 <div class="card">ingest backlog<b id="backlog">-</b></div>
</div>
<table id="networks"><thead><tr><th>network</th><th>visited</th><th>reachable</th></tr></thead><tbody></tbody></table>
<p>A job visits up to 16 addresses. <a href="queues">Bull Board: jobs and queues</a> · updated <span id="updated">never</span></p>
<script>
const $ = (id) => document.getElementById(id);
async function tick() {
  try {
    const s = await (await fetch('api/summary')).json();
    $('round').textContent = s.round ? 'round ' + s.round : 'no round yet';
    for (const k of ['waiting', 'active', 'delayed']) $(k).textContent = s.queue[k] ?? 0;
    $('visited').textContent = s.progress ? s.progress.visited + ' / ' + s.progress.seen : '-';
    $('reachable').textContent = s.progress ? s.progress.ok : '-';
    $('rate').textContent = s.visitsPerSecond == null ? '-' : s.visitsPerSecond.toFixed(1);
    $('backlog').textContent = s.ingestBacklog;
    $('networks').tBodies[0].innerHTML = (s.reachableByNetwork || [])
      .map((r) => '<tr><td>' + r.network + '</td><td>' + r.visited + '</td><td>' + r.reachable + '</td></tr>').join('');
    $('updated').textContent = new Date(s.at).toLocaleTimeString();
  } catch (e) { $('updated').textContent = 'error: ' + e.message; }
}
tick(); setInterval(tick, 1000);
</script>
</body></html>`;
