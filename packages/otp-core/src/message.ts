import { invalid } from "./errors.js";

export const purposes = [
  "login",
  "signup",
  "two_factor",
  "phone_verification",
  "password_reset",
  "magic_link",
  "transaction",
] as const;

export type Purpose = (typeof purposes)[number];

/** Minutes a code lives, per purpose (seed: OTP/2FA 5, magic link 10, phone 10, reset 15). */
export const defaultExpiryMinutes: Record<Purpose, number> = {
  login: 5,
  signup: 10,
  two_factor: 5,
  phone_verification: 10,
  password_reset: 15,
  magic_link: 10,
  transaction: 5,
};

export const defaultTemplate = "Your verification code is: {code}. Valid for {minutes} minutes.";

export const defaultTemplates: Record<Purpose, string> = {
  login: "Your login code is {code}. Valid for {minutes} minutes.",
  signup: "Welcome! Your verification code is {code}. Valid for {minutes} minutes.",
  two_factor: "Your security code is {code}. Do not share it. Valid for {minutes} minutes.",
  // The verify API's own default (seed 001): what a caller gets when it names no purpose.
  phone_verification: defaultTemplate,
  password_reset: "Your password reset code is {code}. Valid for {minutes} minutes.",
  magic_link: "Your login code: {code}\nOr open: {link}",
  transaction: "Your code to confirm this transaction is {code}. Valid for {minutes} minutes.",
};

/** Longest template accepted: four SMS segments. */
const maxTemplateLength = 600;

export function checkTemplate(template: unknown): string {
  if (typeof template !== "string" || template.length > maxTemplateLength || !template.includes("{code}")) {
    throw invalid(
      "template",
      `A template is text of at most ${maxTemplateLength} characters containing {code}.`,
    );
  }
  return template;
}

export interface ComposeInput {
  template: string;
  code: string;
  minutes: number;
  app: string;
  link?: string;
  /** Domain for the WebOTP / iOS autofill origin line (`@example.com #123456`). */
  domain?: string;
  /** Android SMS Retriever app hash (11 characters). */
  androidAppHash?: string;
}

/** Fills a template. The origin-bound line, when configured, must be the message's last line. */
export function composeMessage({
  template,
  code,
  minutes,
  app,
  link,
  domain,
  androidAppHash,
}: ComposeInput): string {
  let body = template
    .replaceAll("{code}", code)
    .replaceAll("{minutes}", String(minutes))
    .replaceAll("{app}", app);
  if (link !== undefined)
    body = body.includes("{link}") ? body.replaceAll("{link}", link) : `${body}\n${link}`;
  else body = body.replaceAll("{link}", "");
  return withOriginLines(body, { code, domain, androidAppHash });
}

/**
 * Appends the Android SMS Retriever hash and the origin-bound line (`@example.com #123456`, which
 * must be the message's last line) to a finished text, unless it already ends with that line.
 */
export function withOriginLines(
  body: string,
  {
    code,
    domain,
    androidAppHash,
  }: { code: string; domain?: string | undefined; androidAppHash?: string | undefined },
): string {
  if (domain && body.trimEnd().endsWith(`@${domain} #${code}`)) return body;
  let text = body;
  if (androidAppHash) text += `\n${androidAppHash}`;
  if (domain) text += `\n\n@${domain} #${code}`;
  return text;
}

/**
 * Reads the code back out of a message body, for test outboxes and the sandbox inbox: the
 * origin-bound `#123456` line when present, else the first standalone run of 4–8 digits.
 */
export function extractCode(body: string): string | undefined {
  return (/#(\d{4,8})\s*$/.exec(body) ?? /(?<![\d#+])(\d{4,8})(?!\d)/.exec(body))?.[1];
}
