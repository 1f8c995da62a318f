import type { OtpLocale } from "../i18n.js";
import { clock, type OtpLabels } from "../labels.js";
import { buildMessages, liveWait, type MessageTexts } from "../messages.js";

const unit = (count: number, kind: "second" | "hour") =>
  `${count} ${kind === "second" ? (count === 1 ? "segundo" : "segundos") : count === 1 ? "hora" : "horas"}`;
const later = (wait: string | undefined, soon = "Inténtalo más tarde.") =>
  wait ? `Inténtalo de nuevo en ${wait}.` : soon;

const texts: MessageTexts = {
  wait: (seconds) => liveWait(seconds, unit),
  checkInput: "Revisa lo que has escrito e inténtalo de nuevo.",
  invalidPhone: "Ese número de teléfono no parece válido. Revisa el número y el país.",
  notMobile: "Este número no puede recibir SMS. Escribe un número de móvil.",
  countryNotAllowed: "No podemos enviar códigos a números de este país.",
  numberBlocked: "No podemos enviar códigos a este número.",
  rangePaused: (wait) => `Los envíos a números como este están en pausa. ${later(wait)}`,
  unauthorized: "Vuelve a iniciar sesión e inténtalo de nuevo.",
  quota: (wait) => `Ahora no se pueden enviar SMS: se ha agotado la cuota de mensajes. ${later(wait)}`,
  notFound: "No hay ningún código pendiente para este número. Solicita uno nuevo.",
  phoneInUse: "Este número ya lo usa otra cuenta.",
  expired: "Este código ha caducado. Solicita uno nuevo.",
  wrongCode: (left) =>
    left === undefined
      ? "El código no es correcto. Revisa el SMS e inténtalo de nuevo."
      : `El código no es correcto. ${left === 1 ? "Queda 1 intento" : `Quedan ${left} intentos`}.`,
  appRateLimit: (wait) => `Se han solicitado demasiados códigos. ${later(wait)}`,
  cooldown: (wait) =>
    wait
      ? `Acabamos de enviarte un código. Podrás pedir otro en ${wait}.`
      : "Acabamos de enviarte un código. Espera un momento.",
  providerLimiting: (wait) =>
    `Nuestro servicio de SMS está saturado ahora mismo; no es culpa tuya. ${later(wait, "Inténtalo de nuevo en un momento.")}`,
  locked: (wait) =>
    `Demasiados códigos incorrectos: este código está bloqueado. ${wait ? `Podrás pedir uno nuevo en ${wait}.` : "Solicita uno nuevo."}`,
  unavailable: "El servicio no está disponible temporalmente. Inténtalo de nuevo en un momento.",
  challenge: "Completa la verificación y vuelve a enviar el código.",
  providerDown:
    "Nuestro servicio de SMS no responde, así que no se ha enviado ningún código. Inténtalo de nuevo en un momento.",
  platformError:
    "Tu código se aceptó, pero no pudimos terminar. Solicita un código nuevo e inténtalo de nuevo.",
  userNotFound: "Ninguna cuenta usa este número de teléfono.",
  network: "No podemos conectar con el servidor. Revisa tu conexión e inténtalo de nuevo.",
  incompleteCode: (length) => `Escribe los ${length} dígitos.`,
  generic: "Algo ha fallado. Inténtalo de nuevo.",
};

const labels: OtpLabels = {
  phone: "Número de teléfono",
  phoneHint: "Elige tu país o empieza con + y el prefijo del país.",
  phonePlaceholder: "",
  country: (name, dialCode) => `País: ${name}, ${dialCode}`,
  countrySearch: "Buscar país",
  countryList: "Países",
  noCountryMatch: "Ningún país coincide.",
  sendCode: "Enviar código",
  sending: "Enviando…",
  code: (length) => `Escribe el código de ${length} dígitos`,
  digit: (position, length) => `Dígito ${position} de ${length}`,
  sentTo: (maskedPhone) => (
    <>
      Hemos enviado un código al <strong>{maskedPhone}</strong>.
    </>
  ),
  verify: "Verificar",
  verifying: "Comprobando el código…",
  resend: "Reenviar código",
  resendIn: (secondsLeft) => `Reenviar código en ${clock(secondsLeft)}`,
  resendReady: "Ya puedes solicitar un código nuevo.",
  codeResent: "Código reenviado.",
  changePhone: "Usar otro número",
  verified: "Verificado.",
};

export default { locale: "es", labels, messages: buildMessages(texts) } satisfies OtpLocale;
