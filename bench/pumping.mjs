// An SMS-pumping simulation (bounded: two simulated hours, a fixed number of requests; a few
// seconds of real time). Real users in the US and the UK request a code and most type it in; a bot
// with a new IP for every request walks premium-rate numbers and then sequential ranges of a pumped
// country's mobile numbers, never verifying. Prints how many SMS the bot got before the guard
// stopped it, how many real users were refused, and when the pumped country was blocked.
// Prints figures; asserts nothing.   node bench/pumping.mjs   (after `pnpm build`)

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const core = await import(join(here, "../packages/otp-core/dist/node/index.js"));

const hourMs = 3_600_000;
const simulatedMs = 2 * hourMs;
const botPerMinute = Number(process.env.BOT_PER_MINUTE ?? 60);
const usersPerMinute = Number(process.env.USERS_PER_MINUTE ?? 10);
const verifyShare = 0.85; // real users who finish (the rest close the tab)

// A seeded generator (mulberry32): the same run every time, so figures compare across changes.
// Randomness here picks simulated people, never codes: the core draws those from the CSPRNG.
let seed = 0x5eed;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const digits = (count) => Array.from({ length: count }, () => Math.floor(random() * 10)).join("");

let now = Date.parse("2030-01-01T00:00:00Z");
const codes = new Map();
const events = [];
const sender = {
  name: "capture",
  async send(message) {
    codes.set(message.to, core.extractCode(message.body));
    return { id: "m" };
  },
};
const otp = core.createOtp({
  secret: "pumping-bench-secret-pumping-bench-secret",
  sender,
  clock: () => now,
  // The worst case: every country allowed (a pumped country you never serve is stopped outright).
  phone: { allowedCountries: "all" },
  onEvent: (event) => events.push({ ...event, at: now }),
});

const bot = { attempts: 0, sent: 0, sentAfterFirstWindow: 0, attemptsAfterFirstWindow: 0 };
const users = { attempts: 0, sent: 0, refused: 0, verified: 0, refusals: new Map() };
let ip = 0;
const nextIp = () => `198.18.${(++ip >> 8) & 255}.${ip & 255}`;

// The bot: premium-rate numbers first, then sequential ranges of Nigerian mobiles (+234 803 …).
let botStep = 0;
function botNumber() {
  const step = botStep++;
  if (step < 200) return step % 2 ? `+4490${digits(8)}` : `+1900${digits(7)}`;
  const n = step - 200;
  return `+234803${String(Math.floor(n / 100) % 10_000).padStart(4, "0")}${String(n % 100).padStart(3, "0")}`;
}
/** A real user's valid mobile number (typos are not the guard's business: they are redrawn). */
function userNumber() {
  for (;;) {
    const number =
      random() < 0.5
        ? `+1415${2 + Math.floor(random() * 8)}${digits(6)}`
        : `+447${[4, 5, 7, 8, 9][Math.floor(random() * 5)]}${digits(8)}`;
    try {
      core.parsePhone(number);
      return number;
    } catch {}
  }
}

const tickMs = 1000;
for (let t = 0; t < simulatedMs; t += tickMs) {
  now += tickMs;
  const afterFirstWindow = t >= hourMs;
  for (let b = 0; b < botPerMinute / 60; b++) {
    bot.attempts++;
    if (afterFirstWindow) bot.attemptsAfterFirstWindow++;
    try {
      await otp.send({ phone: botNumber(), ip: nextIp() });
      bot.sent++;
      if (afterFirstWindow) bot.sentAfterFirstWindow++;
    } catch {}
  }
  if (random() < usersPerMinute / 60) {
    users.attempts++;
    const phone = userNumber();
    try {
      const { id } = await otp.send({ phone, ip: nextIp() });
      users.sent++;
      if (random() < verifyShare) {
        await otp.verify({ id, code: codes.get(phone) });
        users.verified++;
      }
    } catch (error) {
      users.refused++;
      const key = `${error.code}${error.reason ? `:${error.reason}` : ""}`;
      users.refusals.set(key, (users.refusals.get(key) ?? 0) + 1);
    }
  }
}

const start = Date.parse("2030-01-01T00:00:00Z");
const firstTripwire = events.find((event) => event.type === "blocked" && event.reason === "tripwire");
const pct = (part, whole) => (whole ? `${((100 * part) / whole).toFixed(2)}%` : "–");
console.log(
  `SMS pumping simulation: ${simulatedMs / hourMs} simulated hours, bot ${botPerMinute}/min, real users ${usersPerMinute}/min, default guard, every country allowed`,
);
console.log(
  `  bot:   ${bot.attempts} requests, ${bot.sent} SMS sent (${pct(bot.attempts - bot.sent, bot.attempts)} stopped)`,
);
console.log(
  `         after the first window (hour 2): ${bot.attemptsAfterFirstWindow} requests, ${bot.sentAfterFirstWindow} sent (${pct(bot.attemptsAfterFirstWindow - bot.sentAfterFirstWindow, bot.attemptsAfterFirstWindow)} stopped)`,
);
console.log(
  `         first tripwire block after ${firstTripwire ? `${((firstTripwire.at - start) / 1000).toFixed(0)} s` : "never"}`,
);
const reasons = {};
for (const event of events)
  if (event.type === "blocked") reasons[event.reason] = (reasons[event.reason] ?? 0) + 1;
console.log(`         refusals by rule: ${JSON.stringify(reasons)}`);
console.log(
  `  users: ${users.attempts} requests, ${users.sent} sent, ${users.verified} verified, ${users.refused} refused (false positives)${users.refused ? ` ${JSON.stringify(Object.fromEntries(users.refusals))}` : ""}`,
);
