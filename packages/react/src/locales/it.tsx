import type { OtpLocale } from "../i18n.js";
import { clock, type OtpLabels } from "../labels.js";
import { buildMessages, liveWait, type MessageTexts } from "../messages.js";

const unit = (count: number, kind: "second" | "hour") =>
  `${count} ${kind === "second" ? (count === 1 ? "secondo" : "secondi") : count === 1 ? "ora" : "ore"}`;
const later = (wait: string | undefined, soon = "Riprova più tardi.") =>
  wait ? `Riprova tra ${wait}.` : soon;

const texts: MessageTexts = {
  wait: (seconds) => liveWait(seconds, unit),
  checkInput: "Controlla i dati inseriti e riprova.",
  invalidPhone: "Questo numero di telefono non sembra valido. Controlla il numero e il paese.",
  notMobile: "Questo numero non può ricevere SMS. Inserisci un numero di cellulare.",
  countryNotAllowed: "Non possiamo inviare codici ai numeri di questo paese.",
  numberBlocked: "Non possiamo inviare codici a questo numero.",
  rangePaused: (wait) => `Gli invii a numeri come questo sono sospesi. ${later(wait)}`,
  unauthorized: "Accedi di nuovo, poi riprova.",
  quota: (wait) => `Al momento non è possibile inviare SMS: la quota di messaggi è esaurita. ${later(wait)}`,
  notFound: "Non c'è nessun codice in attesa per questo numero. Richiedine uno nuovo.",
  phoneInUse: "Questo numero è già usato da un altro account.",
  expired: "Questo codice è scaduto. Richiedine uno nuovo.",
  wrongCode: (left) =>
    left === undefined
      ? "Il codice non è corretto. Controlla l'SMS e riprova."
      : `Il codice non è corretto. ${left === 1 ? "Resta 1 tentativo" : `Restano ${left} tentativi`}.`,
  appRateLimit: (wait) => `Troppi codici richiesti. ${later(wait)}`,
  cooldown: (wait) =>
    wait
      ? `Ti abbiamo appena inviato un codice. Potrai richiederne un altro tra ${wait}.`
      : "Ti abbiamo appena inviato un codice. Attendi un momento.",
  providerLimiting: (wait) =>
    `Il nostro servizio SMS è sovraccarico in questo momento: non dipende da te. ${later(wait, "Riprova tra poco.")}`,
  locked: (wait) =>
    `Troppi codici errati: questo codice è bloccato. ${wait ? `Potrai richiederne uno nuovo tra ${wait}.` : "Richiedine uno nuovo."}`,
  unavailable: "Il servizio non è momentaneamente disponibile. Riprova tra poco.",
  challenge: "Completa la verifica, poi invia di nuovo il codice.",
  providerDown:
    "Il nostro servizio SMS non risponde, quindi nessun codice è stato inviato. Riprova tra poco.",
  platformError:
    "Il codice è stato accettato, ma non siamo riusciti a completare. Richiedi un nuovo codice e riprova.",
  userNotFound: "Nessun account usa questo numero di telefono.",
  network: "Impossibile raggiungere il server. Controlla la connessione e riprova.",
  incompleteCode: (length) => `Inserisci tutte le ${length} cifre.`,
  generic: "Qualcosa è andato storto. Riprova.",
};

const labels: OtpLabels = {
  phone: "Numero di telefono",
  phoneHint: "Scegli il tuo paese, oppure inizia con + e il prefisso internazionale.",
  phonePlaceholder: "",
  country: (name, dialCode) => `Paese: ${name}, ${dialCode}`,
  countrySearch: "Cerca un paese",
  countryList: "Paesi",
  noCountryMatch: "Nessun paese corrisponde.",
  sendCode: "Invia codice",
  sending: "Invio…",
  code: (length) => `Inserisci il codice di ${length} cifre`,
  digit: (position, length) => `Cifra ${position} di ${length}`,
  sentTo: (maskedPhone) => (
    <>
      Abbiamo inviato un codice al <strong>{maskedPhone}</strong>.
    </>
  ),
  verify: "Verifica",
  verifying: "Verifica del codice…",
  resend: "Invia di nuovo il codice",
  resendIn: (secondsLeft) => `Invia di nuovo tra ${clock(secondsLeft)}`,
  resendReady: "Ora puoi richiedere un nuovo codice.",
  codeResent: "Codice inviato di nuovo.",
  changePhone: "Usa un altro numero",
  verified: "Verificato.",
};

export default { locale: "it", labels, messages: buildMessages(texts) } satisfies OtpLocale;
