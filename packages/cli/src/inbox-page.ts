/**
 * The sandbox inbox page: plain HTML and CSS rendered on the server, and a few lines of script for
 * live updates (Server-Sent Events say "changed", the page re-fetches the list fragment), search,
 * delete, copy and the expiry countdown. It renders plain data (`InboxView`) and imports nothing
 * from the sandbox. Message bodies are untrusted text, so everything is escaped here, the one
 * renderer.
 */

/** A message's standing, as the sandbox worked it out (see `MessageStatus` in sandbox-state.ts). */
export type EntryStatus = "live" | "superseded" | "used" | "expired" | "locked" | "undelivered" | "plain";

export interface InboxEntry {
  id: string;
  body: string;
  code: string | null;
  status: EntryStatus;
  /** ISO 8601. */
  receivedAt: string;
  /** ISO 8601, when the sender said. */
  expiresAt?: string;
  /** Wrong codes the app reported for this verification. */
  wrongAttempts: number;
  /** Tags and `key=value` metadata, shown as chips. */
  details: string[];
}

export interface InboxGroup {
  phone: string;
  entries: InboxEntry[];
}

export interface InboxView {
  /** Newest group first: the phone with the latest message leads. */
  groups: InboxGroup[];
  /** Messages in the sandbox, before the search. */
  total: number;
  /** The search as typed ("" when none). */
  search: string;
  /** A one-line description of the active faults, if any. */
  faults?: string;
}

/**
 * The colours, as data so a unit test can compute every text pair's contrast (WCAG AA: ≥ 4.5:1).
 * `text*`/`muted`/`*Fg` are text colours; the rest are backgrounds.
 */
export const palettes = {
  light: {
    bg: "#f5f6f8",
    panel: "#ffffff",
    text: "#1d2330",
    muted: "#5b6275",
    line: "#d5d9e2",
    accent: "#4338ca",
    accentSoft: "#eef0ff",
    mark: "#fde68a",
    warnBg: "#fff1d6",
    warn: "#7a4200",
    liveFg: "#0b6b2e",
    liveBg: "#dcfce7",
    usedFg: "#1e40af",
    usedBg: "#dbeafe",
    oldFg: "#5b6275",
    oldBg: "#eef0f3",
    expiredFg: "#7a4200",
    expiredBg: "#fff1d6",
    lockedFg: "#a11d1d",
    lockedBg: "#fde2e2",
  },
  dark: {
    bg: "#12141a",
    panel: "#1b1e26",
    text: "#e7e9ee",
    muted: "#a6acbb",
    line: "#343946",
    accent: "#b4b0ff",
    accentSoft: "#262a45",
    mark: "#6b5314",
    warnBg: "#3a2a10",
    warn: "#ffc46b",
    liveFg: "#86efac",
    liveBg: "#14331f",
    usedFg: "#93c5fd",
    usedBg: "#172a4a",
    oldFg: "#a6acbb",
    oldBg: "#252a35",
    expiredFg: "#fcd34d",
    expiredBg: "#3a2a10",
    lockedFg: "#fca5a5",
    lockedBg: "#3f1717",
  },
} as const;

export type PaletteColour = keyof (typeof palettes)["light"];

/** Every [text, background] pair the stylesheet puts together. */
export const textPairs: readonly (readonly [PaletteColour, PaletteColour])[] = [
  ["text", "bg"],
  ["text", "panel"],
  ["muted", "bg"],
  ["muted", "panel"],
  ["text", "mark"],
  ["text", "accentSoft"],
  ["accent", "accentSoft"],
  ["muted", "accentSoft"],
  ["warn", "warnBg"],
  ["liveFg", "liveBg"],
  ["usedFg", "usedBg"],
  ["oldFg", "oldBg"],
  ["muted", "oldBg"],
  ["expiredFg", "expiredBg"],
  ["lockedFg", "lockedBg"],
];

const statusLabels: Record<EntryStatus, string> = {
  live: "Live code",
  superseded: "Superseded",
  used: "Used",
  expired: "Expired",
  locked: "Locked",
  undelivered: "Not delivered",
  plain: "",
};

/** What each mark means, for the tooltip and screen readers. */
const statusHints: Record<EntryStatus, string> = {
  live: "The code the app will accept now",
  superseded: "A newer code was sent to this number for the same purpose",
  used: "The app verified this code",
  expired: "This code's time ran out",
  locked: "Too many wrong codes: this code can no longer verify",
  undelivered: "The app reported that this send failed",
  plain: "",
};

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!,
  );

/** The body with its code wrapped in `<mark>` (first standalone occurrence), all of it escaped. */
function highlightedBody(entry: InboxEntry): string {
  if (!entry.code) return escapeHtml(entry.body);
  const at = new RegExp(`(?<!\\d)${entry.code}(?!\\d)`).exec(entry.body)?.index ?? -1;
  if (at < 0) return escapeHtml(entry.body);
  const end = at + entry.code.length;
  return `${escapeHtml(entry.body.slice(0, at))}<mark class="code">${entry.code}</mark>${escapeHtml(
    entry.body.slice(end),
  )}`;
}

function renderEntry(entry: InboxEntry): string {
  const label = statusLabels[entry.status];
  const badge = label
    ? `<span class="badge ${entry.status}" title="${statusHints[entry.status]}">${label}</span>`
    : "";
  const attempts = entry.wrongAttempts
    ? `<span class="chip attempts">${entry.wrongAttempts} wrong attempt${entry.wrongAttempts === 1 ? "" : "s"}</span>`
    : "";
  const expiry =
    entry.expiresAt && entry.status === "live"
      ? `<span class="expiry" data-expires-at="${escapeHtml(entry.expiresAt)}"></span>`
      : "";
  const details = entry.details.map((detail) => `<span class="chip">${escapeHtml(detail)}</span>`).join("");
  return `<article class="message ${entry.status}" data-id="${escapeHtml(entry.id)}" data-status="${entry.status}"${
    entry.expiresAt ? ` data-expires-at="${escapeHtml(entry.expiresAt)}"` : ""
  }>
  <div class="meta-row">${badge}<time datetime="${escapeHtml(entry.receivedAt)}">${escapeHtml(entry.receivedAt.slice(11, 19))}</time>${expiry}${attempts}${details}<button class="delete" type="button" data-delete="${escapeHtml(entry.id)}" aria-label="Delete this message">Delete</button></div>
  <div class="content">
    <p class="body">${highlightedBody(entry)}</p>
    ${
      entry.code
        ? `<button class="code-chip" type="button" data-code="${entry.code}" aria-label="Copy code ${entry.code}${label ? ` (${label.toLowerCase()})` : ""}"><span class="digits">${entry.code}</span><span class="copy">copy</span></button>`
        : ""
    }
  </div>
</article>`;
}

/** The list fragment (also what `/inbox/list` answers for live updates). */
export function renderInboxList(view: InboxView): string {
  const faultBanner = view.faults
    ? `<div class="fault" role="status">Fault injection active: ${escapeHtml(view.faults)}</div>`
    : "";
  if (!view.total)
    return `${faultBanner}<div class="empty"><p>No messages yet.</p><p class="hint">Point your app at this sandbox and send a code — it shows up here instantly.</p></div>`;
  if (!view.groups.length)
    return `${faultBanner}<div class="empty"><p>No number matches “${escapeHtml(view.search)}”.</p><p class="hint">${view.total} message${view.total === 1 ? "" : "s"} in the sandbox.</p></div>`;
  return (
    faultBanner +
    view.groups
      .map(
        (group) => `<section class="phone" aria-label="Messages to ${escapeHtml(group.phone)}">
  <h2><span class="number">${escapeHtml(group.phone)}</span><span class="count">${group.entries.length} message${group.entries.length === 1 ? "" : "s"}</span></h2>
  ${group.entries.map(renderEntry).join("\n")}
</section>`,
      )
      .join("\n")
  );
}

const cssVariables = (palette: Record<string, string>) =>
  Object.entries(palette)
    .map(([name, value]) => `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}: ${value};`)
    .join(" ");

export function renderInboxPage(view: InboxView, options: { url: string; nonce: string }): string {
  const { url, nonce } = options;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>otpkit sandbox — inbox</title>
<style>
  :root { color-scheme: light dark; ${cssVariables(palettes.light)} }
  @media (prefers-color-scheme: dark) { :root { ${cssVariables(palettes.dark)} } }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
  header { position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 12px 28px;
    background: var(--panel); border-bottom: 1px solid var(--line); }
  header h1 { margin: 0; font-size: 17px; font-weight: 650; letter-spacing: -0.01em; }
  header h1 span { color: var(--muted); font-weight: 450; }
  .endpoint { color: var(--muted); font-size: 13px; min-width: 0; overflow-wrap: anywhere; }
  .endpoint code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--text); background: var(--bg); padding: 2px 6px; border-radius: 5px; }
  .spacer { flex: 1; }
  .tools { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; min-width: 0; }
  .connection { display: inline-flex; align-items: center; gap: 6px; font-size: 13px; color: var(--muted); }
  .connection::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--muted); }
  .connection.on::before { background: #22c55e; box-shadow: 0 0 0 3px rgba(34,197,94,.2); }
  .search { display: flex; align-items: center; gap: 6px; font-size: 13px; color: var(--muted); min-width: 0; }
  .search input { font: inherit; font-size: 14px; width: 13em; max-width: 100%; min-width: 0; padding: 5px 9px; border-radius: 8px;
    border: 1px solid var(--muted); background: var(--panel); color: var(--text); }
  button { font: inherit; color: var(--text); cursor: pointer; }
  button.clear { font-size: 13px; padding: 6px 12px; border-radius: 8px; border: 1px solid var(--line); background: var(--panel); }
  button.clear:hover, button.delete:hover { border-color: var(--muted); }
  :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
  main { max-width: 860px; margin: 24px auto; padding: 0 20px 40px; }
  .phone { background: var(--panel); border: 1px solid var(--line); border-radius: 14px; margin-bottom: 20px; overflow: hidden; }
  .phone h2 { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 4px 12px; margin: 0; padding: 12px 18px;
    font-size: 15px; border-bottom: 1px solid var(--line); }
  .phone h2 .number { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-weight: 600; }
  .phone h2 .count { color: var(--muted); font-weight: 450; font-size: 13px; }
  .message { padding: 12px 18px; border-top: 1px solid var(--line); border-left: 4px solid transparent; }
  .message:first-of-type { border-top: 0; }
  .message.live { border-left-color: var(--live-fg); }
  .message.new { animation: arrive 1.5s ease-out; }
  @keyframes arrive { from { background: var(--accent-soft); } to { background: transparent; } }
  @media (prefers-reduced-motion: reduce) { .message.new { animation: none; } }
  .meta-row { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; font-size: 12.5px; color: var(--muted); }
  .meta-row time { margin-right: 4px; font-variant-numeric: tabular-nums; }
  .chip { padding: 1px 8px; border-radius: 999px; background: var(--bg); border: 1px solid var(--line); max-width: 100%;
    overflow-wrap: anywhere; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 11.5px; }
  .chip.attempts { font-family: inherit; font-size: 12px; color: var(--locked-fg); background: var(--locked-bg); border-color: transparent; }
  .badge { padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 650; letter-spacing: .02em; }
  .badge.live { color: var(--live-fg); background: var(--live-bg); }
  .badge.used { color: var(--used-fg); background: var(--used-bg); }
  .badge.superseded { color: var(--old-fg); background: var(--old-bg); }
  .badge.expired { color: var(--expired-fg); background: var(--expired-bg); }
  .badge.locked, .badge.undelivered { color: var(--locked-fg); background: var(--locked-bg); }
  .expiry { font-variant-numeric: tabular-nums; }
  button.delete { margin-left: auto; font-size: 12px; padding: 2px 10px; border-radius: 7px; border: 1px solid var(--line); background: var(--panel); color: var(--muted); }
  .content { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 16px; margin-top: 4px; }
  .body { flex: 1 1 16em; min-width: 0; margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
  mark.code { background: var(--mark); color: var(--text); padding: 0 3px; border-radius: 4px; font-weight: 650; }
  .code-chip { display: inline-flex; flex-direction: column; align-items: center; min-width: 118px; padding: 6px 14px;
    font: 700 24px/1.1 ui-monospace, SFMono-Regular, Menlo, monospace; letter-spacing: .12em; color: var(--accent);
    background: var(--accent-soft); border: 1px solid transparent; border-radius: 10px; }
  .code-chip:hover { border-color: var(--accent); }
  .message:not(.live) .code-chip { color: var(--old-fg); background: var(--old-bg); }
  .message:not(.live) .code-chip .digits { text-decoration: line-through; text-decoration-thickness: 2px; }
  .code-chip .copy { font: 500 10.5px system-ui, sans-serif; letter-spacing: .06em; text-transform: uppercase; color: var(--muted); }
  .empty { text-align: center; padding: 72px 20px; color: var(--muted); background: var(--panel); border: 1px dashed var(--line); border-radius: 14px; }
  .empty p { margin: 4px 0; } .empty p:first-child { font-size: 17px; color: var(--text); }
  .fault { margin-bottom: 16px; padding: 10px 14px; border-radius: 10px; background: var(--warn-bg); color: var(--warn); font-size: 14px; }
  @media (max-width: 600px) {
    header { position: static; padding: 10px 12px; }
    main { margin: 12px auto; padding: 0 8px 24px; }
    .phone h2, .message { padding-left: 12px; padding-right: 12px; }
    .search input { width: 100%; }
    .search { flex: 1 1 100%; }
    .code-chip { min-width: 0; font-size: 20px; }
  }
</style>
</head>
<body>
<header>
  <h1>otpkit <span>sandbox</span></h1>
  <div class="endpoint">UNOSEND_API_URL=<code>${escapeHtml(url)}/api/v1</code></div>
  <div class="spacer"></div>
  <div class="tools">
    <label class="search">Search by number <input id="search" type="search" inputmode="tel" autocomplete="off" placeholder="e.g. 555 0123" value="${escapeHtml(view.search)}"></label>
    <span class="connection" id="live" role="status">connecting</span>
    <button class="clear" id="clear" type="button">Clear inbox</button>
  </div>
</header>
<main id="inbox">
${renderInboxList(view)}
</main>
<script nonce="${nonce}">
  const inbox = document.getElementById("inbox");
  const live = document.getElementById("live");
  const search = document.getElementById("search");
  const two = (value) => String(value).padStart(2, "0");
  // The page keeps time itself: a live code turns "Expired" the second its expires_at passes.
  const tick = () => {
    for (const time of inbox.querySelectorAll("time[datetime]"))
      if (!time.dataset.local) { time.textContent = new Date(time.dateTime).toLocaleTimeString(); time.dataset.local = "1"; }
    for (const message of inbox.querySelectorAll('.message[data-status="live"][data-expires-at]')) {
      const left = Math.ceil((Date.parse(message.dataset.expiresAt) - Date.now()) / 1000);
      const expiry = message.querySelector(".expiry");
      if (left > 0) {
        if (expiry) expiry.textContent = "expires in " + Math.floor(left / 60) + ":" + two(left % 60);
        continue;
      }
      message.dataset.status = "expired";
      message.classList.replace("live", "expired");
      const badge = message.querySelector(".badge");
      badge.className = "badge expired";
      badge.textContent = "Expired";
      badge.title = "This code's time ran out";
      expiry?.remove();
    }
  };
  const refresh = async () => {
    const query = search.value.trim();
    const response = await fetch("/inbox/list" + (query ? "?q=" + encodeURIComponent(query) : ""), { cache: "no-store" });
    if (!response.ok) return;
    const known = new Set([...inbox.querySelectorAll(".message")].map((message) => message.dataset.id));
    inbox.innerHTML = await response.text();
    if (known.size)
      for (const message of inbox.querySelectorAll(".message"))
        if (!known.has(message.dataset.id)) message.classList.add("new");
    tick();
  };
  const events = new EventSource("/api/sandbox/events");
  events.onopen = () => { live.textContent = "live"; live.classList.add("on"); refresh(); };
  events.onmessage = refresh;
  events.onerror = () => { live.textContent = "reconnecting"; live.classList.remove("on"); };
  let typing;
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      const query = search.value.trim();
      history.replaceState(null, "", query ? "?q=" + encodeURIComponent(query) : location.pathname);
      refresh();
    }, 120);
  });
  inbox.addEventListener("click", async (event) => {
    const remove = event.target.closest("[data-delete]");
    if (remove) {
      await fetch("/api/sandbox/messages/" + encodeURIComponent(remove.dataset.delete), { method: "DELETE" });
      return refresh();
    }
    const chip = event.target.closest(".code-chip");
    if (!chip) return;
    await navigator.clipboard?.writeText(chip.dataset.code).catch(() => {});
    chip.querySelector(".copy").textContent = "copied";
    setTimeout(() => { chip.querySelector(".copy").textContent = "copy"; }, 1200);
  });
  document.getElementById("clear").addEventListener("click", () =>
    fetch("/api/sandbox/messages", { method: "DELETE" }).then(refresh));
  tick();
  setInterval(tick, 1000);
</script>
</body>
</html>`;
}
