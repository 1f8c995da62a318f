/**
 * `@otpkit/otp-core/locales`: SMS texts per purpose in several languages, for apps that opt in:
 *
 *   import { smsTemplates } from "@otpkit/otp-core/locales";
 *   createOtp({ ..., locales: smsTemplates });    // then send({ ..., locale: "pt-BR" })
 *
 * Each text keeps `{code}` and `{minutes}` (and `{link}` for magic links). Apps may pass their own
 * map in the same shape, or extend this one.
 */
import type { Purpose } from "./message.js";

export type LocaleTemplates = Partial<Record<Purpose, string>>;

export const smsTemplates: Record<string, LocaleTemplates> = {
  en: {
    login: "Your login code is {code}. Valid for {minutes} minutes.",
    signup: "Welcome! Your verification code is {code}. Valid for {minutes} minutes.",
    two_factor: "Your security code is {code}. Do not share it. Valid for {minutes} minutes.",
    phone_verification: "Your verification code is: {code}. Valid for {minutes} minutes.",
    password_reset: "Your password reset code is {code}. Valid for {minutes} minutes.",
    magic_link: "Your login code: {code}\nOr open: {link}",
    transaction: "Your code to confirm this transaction is {code}. Valid for {minutes} minutes.",
  },
  es: {
    login: "Tu código de acceso es {code}. Válido durante {minutes} minutos.",
    signup: "¡Bienvenido! Tu código de verificación es {code}. Válido durante {minutes} minutos.",
    two_factor: "Tu código de seguridad es {code}. No lo compartas. Válido durante {minutes} minutos.",
    phone_verification: "Tu código de verificación es: {code}. Válido durante {minutes} minutos.",
    password_reset: "Tu código para restablecer la contraseña es {code}. Válido durante {minutes} minutos.",
    magic_link: "Tu código de acceso: {code}\nO abre: {link}",
    transaction: "Tu código para confirmar esta operación es {code}. Válido durante {minutes} minutos.",
  },
  fr: {
    login: "Votre code de connexion est {code}. Valable {minutes} minutes.",
    signup: "Bienvenue ! Votre code de vérification est {code}. Valable {minutes} minutes.",
    two_factor: "Votre code de sécurité est {code}. Ne le partagez pas. Valable {minutes} minutes.",
    phone_verification: "Votre code de vérification est : {code}. Valable {minutes} minutes.",
    password_reset: "Votre code de réinitialisation du mot de passe est {code}. Valable {minutes} minutes.",
    magic_link: "Votre code de connexion : {code}\nOu ouvrez : {link}",
    transaction: "Votre code pour confirmer cette opération est {code}. Valable {minutes} minutes.",
  },
  de: {
    login: "Ihr Anmeldecode lautet {code}. Gültig für {minutes} Minuten.",
    signup: "Willkommen! Ihr Bestätigungscode lautet {code}. Gültig für {minutes} Minuten.",
    two_factor:
      "Ihr Sicherheitscode lautet {code}. Geben Sie ihn nicht weiter. Gültig für {minutes} Minuten.",
    phone_verification: "Ihr Bestätigungscode lautet: {code}. Gültig für {minutes} Minuten.",
    password_reset: "Ihr Code zum Zurücksetzen des Passworts lautet {code}. Gültig für {minutes} Minuten.",
    magic_link: "Ihr Anmeldecode: {code}\nOder öffnen Sie: {link}",
    transaction: "Ihr Code zur Bestätigung dieser Transaktion lautet {code}. Gültig für {minutes} Minuten.",
  },
  "pt-BR": {
    login: "Seu código de acesso é {code}. Válido por {minutes} minutos.",
    signup: "Boas-vindas! Seu código de verificação é {code}. Válido por {minutes} minutos.",
    two_factor: "Seu código de segurança é {code}. Não o compartilhe. Válido por {minutes} minutos.",
    phone_verification: "Seu código de verificação é: {code}. Válido por {minutes} minutos.",
    password_reset: "Seu código para redefinir a senha é {code}. Válido por {minutes} minutos.",
    magic_link: "Seu código de acesso: {code}\nOu abra: {link}",
    transaction: "Seu código para confirmar esta transação é {code}. Válido por {minutes} minutos.",
  },
  it: {
    login: "Il tuo codice di accesso è {code}. Valido per {minutes} minuti.",
    signup: "Benvenuto! Il tuo codice di verifica è {code}. Valido per {minutes} minuti.",
    two_factor: "Il tuo codice di sicurezza è {code}. Non condividerlo. Valido per {minutes} minuti.",
    phone_verification: "Il tuo codice di verifica è: {code}. Valido per {minutes} minuti.",
    password_reset: "Il tuo codice per reimpostare la password è {code}. Valido per {minutes} minuti.",
    magic_link: "Il tuo codice di accesso: {code}\nOppure apri: {link}",
    transaction: "Il tuo codice per confermare questa operazione è {code}. Valido per {minutes} minuti.",
  },
  nl: {
    login: "Je inlogcode is {code}. Geldig voor {minutes} minuten.",
    signup: "Welkom! Je verificatiecode is {code}. Geldig voor {minutes} minuten.",
    two_factor: "Je beveiligingscode is {code}. Deel hem met niemand. Geldig voor {minutes} minuten.",
    phone_verification: "Je verificatiecode is: {code}. Geldig voor {minutes} minuten.",
    password_reset: "Je code om je wachtwoord te herstellen is {code}. Geldig voor {minutes} minuten.",
    magic_link: "Je inlogcode: {code}\nOf open: {link}",
    transaction: "Je code om deze transactie te bevestigen is {code}. Geldig voor {minutes} minuten.",
  },
  ja: {
    login: "ログインコードは {code} です。有効期限は{minutes}分です。",
    signup: "ようこそ！確認コードは {code} です。有効期限は{minutes}分です。",
    two_factor: "セキュリティコードは {code} です。他人に教えないでください。有効期限は{minutes}分です。",
    phone_verification: "確認コード：{code}。有効期限は{minutes}分です。",
    password_reset: "パスワード再設定コードは {code} です。有効期限は{minutes}分です。",
    magic_link: "ログインコード：{code}\nまたはこちらを開いてください：{link}",
    transaction: "この取引を確認するコードは {code} です。有効期限は{minutes}分です。",
  },
};

/**
 * The texts for a BCP 47 locale from `locales`: the exact tag (`pt-BR`; Auth0's `pt_BR` too),
 * else its language (`pt`, or the first `pt-…` entry), else `undefined` (the default templates).
 */
export function templatesFor(
  locales: Readonly<Record<string, LocaleTemplates>>,
  locale: string | undefined,
): LocaleTemplates | undefined {
  if (!locale) return undefined;
  const tag = locale.replace(/_/g, "-").toLowerCase();
  const keys = Object.keys(locales);
  const exact = keys.find((key) => key.toLowerCase() === tag);
  if (exact) return locales[exact];
  const language = tag.split("-")[0]!;
  const same =
    keys.find((key) => key.toLowerCase() === language) ??
    keys.find((key) => key.toLowerCase().startsWith(`${language}-`));
  return same ? locales[same] : undefined;
}
