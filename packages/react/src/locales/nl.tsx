import type { OtpLocale } from "../i18n.js";
import { clock, type OtpLabels } from "../labels.js";
import { buildMessages, liveWait, type MessageTexts } from "../messages.js";

const unit = (count: number, kind: "second" | "hour") =>
  `${count} ${kind === "second" ? (count === 1 ? "seconde" : "seconden") : "uur"}`;
const later = (wait: string | undefined, soon = "Probeer het later opnieuw.") =>
  wait ? `Probeer het over ${wait} opnieuw.` : soon;

const texts: MessageTexts = {
  wait: (seconds) => liveWait(seconds, unit),
  checkInput: "Controleer wat je hebt ingevuld en probeer het opnieuw.",
  invalidPhone: "Dit telefoonnummer lijkt niet geldig. Controleer het nummer en het land.",
  notMobile: "Dit nummer kan geen sms ontvangen. Vul een mobiel nummer in.",
  countryNotAllowed: "We kunnen geen codes sturen naar nummers in dit land.",
  numberBlocked: "We kunnen geen codes naar dit nummer sturen.",
  rangePaused: (wait) => `Codes naar nummers zoals dit zijn gepauzeerd. ${later(wait)}`,
  unauthorized: "Log opnieuw in en probeer het nog eens.",
  quota: (wait) => `Er kunnen nu geen sms'jes worden verstuurd: het berichtentegoed is op. ${later(wait)}`,
  notFound: "Er staat geen code open voor dit nummer. Vraag een nieuwe aan.",
  phoneInUse: "Dit telefoonnummer wordt al door een ander account gebruikt.",
  expired: "Deze code is verlopen. Vraag een nieuwe aan.",
  wrongCode: (left) =>
    left === undefined
      ? "Die code klopt niet. Controleer de sms en probeer het opnieuw."
      : `Die code klopt niet. Nog ${left} ${left === 1 ? "poging" : "pogingen"}.`,
  appRateLimit: (wait) => `Te veel codes aangevraagd. ${later(wait)}`,
  cooldown: (wait) =>
    wait
      ? `Er is net een code verstuurd. Over ${wait} kun je een nieuwe aanvragen.`
      : "Er is net een code verstuurd. Wacht even.",
  providerLimiting: (wait) =>
    `Onze sms-dienst is nu overbelast — dat ligt niet aan jou. ${later(wait, "Probeer het zo opnieuw.")}`,
  locked: (wait) =>
    `Te veel verkeerde codes: deze code is geblokkeerd. ${wait ? `Over ${wait} kun je een nieuwe aanvragen.` : "Vraag een nieuwe aan."}`,
  unavailable: "De dienst is tijdelijk niet beschikbaar. Probeer het zo opnieuw.",
  challenge: "Rond de controle af en verstuur de code opnieuw.",
  providerDown: "Onze sms-dienst reageert niet, dus er is geen code verstuurd. Probeer het zo opnieuw.",
  platformError:
    "Je code is geaccepteerd, maar we konden het niet afronden. Vraag een nieuwe code aan en probeer het opnieuw.",
  userNotFound: "Geen enkel account gebruikt dit telefoonnummer.",
  network: "We kunnen de server niet bereiken. Controleer je verbinding en probeer het opnieuw.",
  incompleteCode: (length) => `Vul alle ${length} cijfers in.`,
  generic: "Er ging iets mis. Probeer het opnieuw.",
};

const labels: OtpLabels = {
  phone: "Telefoonnummer",
  phoneHint: "Kies je land, of begin met + en de landcode.",
  phonePlaceholder: "",
  country: (name, dialCode) => `Land: ${name}, ${dialCode}`,
  countrySearch: "Zoek een land",
  countryList: "Landen",
  noCountryMatch: "Geen land gevonden.",
  sendCode: "Code versturen",
  sending: "Versturen…",
  code: (length) => `Vul de ${length}-cijferige code in`,
  digit: (position, length) => `Cijfer ${position} van ${length}`,
  sentTo: (maskedPhone) => (
    <>
      We hebben een code gestuurd naar <strong>{maskedPhone}</strong>.
    </>
  ),
  verify: "Controleren",
  verifying: "Code wordt gecontroleerd…",
  resend: "Code opnieuw sturen",
  resendIn: (secondsLeft) => `Opnieuw sturen over ${clock(secondsLeft)}`,
  resendReady: "Je kunt nu een nieuwe code aanvragen.",
  codeResent: "Code opnieuw verstuurd.",
  changePhone: "Ander nummer gebruiken",
  verified: "Geverifieerd.",
};

export default { locale: "nl", labels, messages: buildMessages(texts) } satisfies OtpLocale;
