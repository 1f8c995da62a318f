/**
 * The sandbox inbox page: plain HTML and CSS rendered on the server, and a few lines of script for
 * live updates (Server-Sent Events say "changed", the page re-fetches the list fragment). Message
 * bodies are untrusted text, so everything is escaped here, the one renderer.
 */
import type { SandboxFaults, SandboxMessage } from "./sandbox.js";

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!,
  );

/** The body with its code wrapped in `<mark>` (first standalone occurrence), all of it escaped. */
function highlightedBody(message: SandboxMessage): string {
  if (!message.code) return escapeHtml(message.body);
  const at = new RegExp(`(?<!\\d)${message.code}(?!\\d)`).exec(message.body)?.index ?? -1;
  if (at < 0) return escapeHtml(message.body);
  const end = at + message.code.length;
  return `${escapeHtml(message.body.slice(0, at))}<mark class="code">${message.code}</mark>${escapeHtml(
    message.body.slice(end),
  )}`;
}

function renderMessage(message: SandboxMessage): string {
  const details = [
    ...message.tags.map((tag) => `<span class="chip">${escapeHtml(tag)}</span>`),
    ...Object.entries(message.metadata).map(
      ([key, value]) =>
        `<span class="chip meta">${escapeHtml(key)}=${escapeHtml(
          typeof value === "string" ? value : JSON.stringify(value),
        )}</span>`,
    ),
  ].join("");
  return `<article class="message" data-id="${escapeHtml(message.id)}">
  <div class="meta-row"><time datetime="${message.receivedAt}">${message.receivedAt.slice(11, 19)}</time>${details}</div>
  <div class="content">
    <p class="body">${highlightedBody(message)}</p>
    ${
      message.code
        ? `<button class="code-chip" type="button" data-code="${message.code}" title="Copy code">${message.code}<span class="copy">copy</span></button>`
        : ""
    }
  </div>
</article>`;
}

/** Groups newest first: the phone with the latest message leads, each group newest first. */
export function renderInboxList(messages: SandboxMessage[], faults: SandboxFaults | undefined): string {
  const groups = new Map<string, SandboxMessage[]>();
  for (const message of messages) groups.set(message.to, [...(groups.get(message.to) ?? []), message]);
  const faultBanner = faults
    ? `<div class="fault">Fault injection active: ${escapeHtml(describeFaults(faults))}</div>`
    : "";
  if (!messages.length)
    return `${faultBanner}<div class="empty"><p>No messages yet.</p><p class="hint">Point your app at this sandbox and send a code — it shows up here instantly.</p></div>`;
  return (
    faultBanner +
    [...groups]
      .map(
        ([phone, list]) => `<section class="phone">
  <h2><span class="number">${escapeHtml(phone)}</span><span class="count">${list.length} message${list.length === 1 ? "" : "s"}</span></h2>
  ${list.map(renderMessage).join("\n")}
</section>`,
      )
      .join("\n")
  );
}

function describeFaults(faults: SandboxFaults): string {
  const parts: string[] = [];
  if (faults.status) parts.push(`answer ${faults.status}`);
  if (faults.latencyMs) parts.push(`${faults.latencyMs} ms latency`);
  if (faults.hang) parts.push("never answer");
  if (faults.count !== undefined) parts.push(`next ${faults.count} send${faults.count === 1 ? "" : "s"}`);
  return parts.join(", ");
}

export function renderInboxPage(
  messages: SandboxMessage[],
  faults: SandboxFaults | undefined,
  url: string,
  nonce: string,
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>otpkit sandbox — inbox</title>
<style>
  :root {
    color-scheme: light dark;
    --bg: #f5f6f8; --panel: #ffffff; --text: #1d2330; --muted: #6b7385; --line: #e3e6ec;
    --accent: #4f46e5; --accent-soft: #eef0ff; --mark: #fde68a; --warn-bg: #fff4e5; --warn: #9a5b00;
  }
  @media (prefers-color-scheme: dark) {
    :root {
      --bg: #12141a; --panel: #1b1e26; --text: #e7e9ee; --muted: #959bab; --line: #2a2e39;
      --accent: #8b85ff; --accent-soft: #262a45; --mark: #6b5314; --warn-bg: #3a2a10; --warn: #ffc46b;
    }
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
  header { position: sticky; top: 0; z-index: 1; display: flex; align-items: center; gap: 16px; padding: 14px 28px;
    background: var(--panel); border-bottom: 1px solid var(--line); }
  header h1 { margin: 0; font-size: 17px; font-weight: 650; letter-spacing: -0.01em; }
  header h1 span { color: var(--muted); font-weight: 450; }
  .endpoint { color: var(--muted); font-size: 13px; }
  .endpoint code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--bg); padding: 2px 6px; border-radius: 5px; }
  .spacer { flex: 1; }
  .live { display: inline-flex; align-items: center; gap: 6px; font-size: 13px; color: var(--muted); }
  .live::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: #9ca3af; }
  .live.on::before { background: #22c55e; box-shadow: 0 0 0 3px rgba(34,197,94,.2); }
  button.clear { font: inherit; font-size: 13px; padding: 6px 12px; border-radius: 8px; border: 1px solid var(--line);
    background: var(--panel); color: var(--text); cursor: pointer; }
  button.clear:hover { border-color: var(--muted); }
  main { max-width: 860px; margin: 24px auto; padding: 0 20px 40px; }
  .phone { background: var(--panel); border: 1px solid var(--line); border-radius: 14px; margin-bottom: 20px; overflow: hidden; }
  .phone h2 { display: flex; align-items: baseline; justify-content: space-between; margin: 0; padding: 12px 18px;
    font-size: 15px; border-bottom: 1px solid var(--line); }
  .phone h2 .number { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-weight: 600; }
  .phone h2 .count { color: var(--muted); font-weight: 450; font-size: 13px; }
  .message { padding: 12px 18px; border-top: 1px solid var(--line); }
  .message:first-of-type { border-top: 0; }
  .message.new { animation: arrive 1.5s ease-out; }
  @keyframes arrive { from { background: var(--accent-soft); } to { background: transparent; } }
  .meta-row { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; font-size: 12.5px; color: var(--muted); }
  .meta-row time { margin-right: 4px; font-variant-numeric: tabular-nums; }
  .chip { padding: 1px 8px; border-radius: 999px; background: var(--bg); border: 1px solid var(--line); }
  .chip.meta { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 11.5px; }
  .content { display: flex; align-items: center; gap: 16px; margin-top: 4px; }
  .body { flex: 1; margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
  mark.code { background: var(--mark); color: inherit; padding: 0 3px; border-radius: 4px; font-weight: 650; }
  .code-chip { display: inline-flex; flex-direction: column; align-items: center; min-width: 118px; padding: 6px 14px;
    font: 700 24px/1.1 ui-monospace, SFMono-Regular, Menlo, monospace; letter-spacing: .12em; color: var(--accent);
    background: var(--accent-soft); border: 1px solid transparent; border-radius: 10px; cursor: pointer; }
  .code-chip:hover { border-color: var(--accent); }
  .code-chip .copy { font: 500 10.5px system-ui, sans-serif; letter-spacing: .06em; text-transform: uppercase; color: var(--muted); }
  .empty { text-align: center; padding: 72px 20px; color: var(--muted); background: var(--panel); border: 1px dashed var(--line); border-radius: 14px; }
  .empty p { margin: 4px 0; } .empty p:first-child { font-size: 17px; color: var(--text); }
  .fault { margin-bottom: 16px; padding: 10px 14px; border-radius: 10px; background: var(--warn-bg); color: var(--warn); font-size: 14px; }
</style>
</head>
<body>
<header>
  <h1>otpkit <span>sandbox</span></h1>
  <div class="endpoint">UNOSEND_API_URL=<code>${escapeHtml(url)}/api/v1</code></div>
  <div class="spacer"></div>
  <span class="live" id="live">connecting</span>
  <button class="clear" id="clear" type="button">Clear inbox</button>
</header>
<main id="inbox">
${renderInboxList(messages, faults)}
</main>
<script nonce="${nonce}">
  const inbox = document.getElementById("inbox");
  const live = document.getElementById("live");
  const localTimes = () => {
    for (const time of inbox.querySelectorAll("time[datetime]"))
      time.textContent = new Date(time.dateTime).toLocaleTimeString();
  };
  const refresh = async () => {
    const response = await fetch("/inbox/list", { cache: "no-store" });
    if (!response.ok) return;
    const known = new Set([...inbox.querySelectorAll(".message")].map((message) => message.dataset.id));
    inbox.innerHTML = await response.text();
    for (const message of inbox.querySelectorAll(".message"))
      if (!known.has(message.dataset.id)) message.classList.add("new");
    localTimes();
  };
  const events = new EventSource("/api/sandbox/events");
  events.onopen = () => { live.textContent = "live"; live.classList.add("on"); refresh(); };
  events.onmessage = refresh;
  events.onerror = () => { live.textContent = "reconnecting"; live.classList.remove("on"); };
  inbox.addEventListener("click", async (event) => {
    const chip = event.target.closest(".code-chip");
    if (!chip) return;
    await navigator.clipboard?.writeText(chip.dataset.code);
    chip.querySelector(".copy").textContent = "copied";
    setTimeout(() => { chip.querySelector(".copy").textContent = "copy"; }, 1200);
  });
  document.getElementById("clear").addEventListener("click", () =>
    fetch("/api/sandbox/messages", { method: "DELETE" }));
  localTimes();
</script>
</body>
</html>`;
}
