import type { OtpLocale } from "../i18n.js";
import { clock, type OtpLabels } from "../labels.js";
import { buildMessages, liveWait, type MessageTexts } from "../messages.js";

// "in 42 Sekunden" / "in 2 Stunden": the dative plural after "in".
const unit = (count: number, kind: "second" | "hour") =>
  `${count} ${kind === "second" ? (count === 1 ? "Sekunde" : "Sekunden") : count === 1 ? "Stunde" : "Stunden"}`;
const later = (wait: string | undefined, soon = "Versuchen Sie es später erneut.") =>
  wait ? `Versuchen Sie es in ${wait} erneut.` : soon;

const texts: MessageTexts = {
  wait: (seconds) => liveWait(seconds, unit),
  checkInput: "Prüfen Sie Ihre Eingabe und versuchen Sie es erneut.",
  invalidPhone: "Diese Telefonnummer scheint ungültig zu sein. Prüfen Sie Nummer und Land.",
  notMobile: "Diese Nummer kann keine SMS empfangen. Geben Sie eine Mobilnummer ein.",
  countryNotAllowed: "An Nummern aus diesem Land können wir keine Codes senden.",
  numberBlocked: "An diese Nummer können wir keine Codes senden.",
  rangePaused: (wait) => `Codes an Nummern wie diese sind pausiert. ${later(wait)}`,
  unauthorized: "Bitte melden Sie sich erneut an und versuchen Sie es noch einmal.",
  quota: (wait) =>
    `Gerade können keine SMS gesendet werden: Das Nachrichtenkontingent ist aufgebraucht. ${later(wait)}`,
  notFound: "Für diese Nummer gibt es keinen offenen Code. Fordern Sie einen neuen an.",
  phoneInUse: "Diese Telefonnummer wird bereits von einem anderen Konto verwendet.",
  expired: "Dieser Code ist abgelaufen. Fordern Sie einen neuen an.",
  wrongCode: (left) =>
    left === undefined
      ? "Dieser Code stimmt nicht. Prüfen Sie die SMS und versuchen Sie es erneut."
      : `Dieser Code stimmt nicht. Noch ${left} ${left === 1 ? "Versuch" : "Versuche"}.`,
  appRateLimit: (wait) => `Zu viele Codes angefordert. ${later(wait)}`,
  cooldown: (wait) =>
    wait
      ? `Gerade wurde ein Code gesendet. Einen weiteren können Sie in ${wait} anfordern.`
      : "Gerade wurde ein Code gesendet. Bitte warten Sie einen Moment.",
  providerLimiting: (wait) =>
    `Unser SMS-Dienst ist gerade ausgelastet – das liegt nicht an Ihnen. ${later(wait, "Versuchen Sie es gleich erneut.")}`,
  locked: (wait) =>
    `Zu viele falsche Codes: Dieser Code ist gesperrt. ${wait ? `Einen neuen können Sie in ${wait} anfordern.` : "Fordern Sie einen neuen an."}`,
  unavailable: "Der Dienst ist vorübergehend nicht verfügbar. Versuchen Sie es gleich erneut.",
  challenge: "Schließen Sie die Prüfung ab und senden Sie den Code erneut.",
  providerDown:
    "Unser SMS-Dienst antwortet nicht, daher wurde kein Code gesendet. Versuchen Sie es gleich erneut.",
  platformError:
    "Ihr Code wurde akzeptiert, aber wir konnten den Vorgang nicht abschließen. Fordern Sie einen neuen Code an.",
  userNotFound: "Kein Konto verwendet diese Telefonnummer.",
  network: "Der Server ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
  incompleteCode: (length) => `Geben Sie alle ${length} Ziffern ein.`,
  generic: "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.",
};

const labels: OtpLabels = {
  phone: "Telefonnummer",
  phoneHint: "Wählen Sie Ihr Land oder beginnen Sie mit + und der Landesvorwahl.",
  phonePlaceholder: "",
  country: (name, dialCode) => `Land: ${name}, ${dialCode}`,
  countrySearch: "Land suchen",
  countryList: "Länder",
  noCountryMatch: "Kein Land gefunden.",
  sendCode: "Code senden",
  sending: "Wird gesendet…",
  code: (length) => `${length}-stelligen Code eingeben`,
  digit: (position, length) => `Ziffer ${position} von ${length}`,
  sentTo: (maskedPhone) => (
    <>
      Wir haben einen Code an <strong>{maskedPhone}</strong> gesendet.
    </>
  ),
  verify: "Bestätigen",
  verifying: "Code wird geprüft…",
  resend: "Code erneut senden",
  resendIn: (secondsLeft) => `Erneut senden in ${clock(secondsLeft)}`,
  resendReady: "Sie können jetzt einen neuen Code anfordern.",
  codeResent: "Code erneut gesendet.",
  changePhone: "Andere Nummer verwenden",
  verified: "Bestätigt.",
};

export default { locale: "de", labels, messages: buildMessages(texts) } satisfies OtpLocale;
