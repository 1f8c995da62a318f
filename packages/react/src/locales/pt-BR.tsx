import type { OtpLocale } from "../i18n.js";
import { clock, type OtpLabels } from "../labels.js";
import { buildMessages, liveWait, type MessageTexts } from "../messages.js";

const unit = (count: number, kind: "second" | "hour") =>
  `${count} ${kind === "second" ? (count === 1 ? "segundo" : "segundos") : count === 1 ? "hora" : "horas"}`;
const later = (wait: string | undefined, soon = "Tente novamente mais tarde.") =>
  wait ? `Tente novamente em ${wait}.` : soon;

const texts: MessageTexts = {
  wait: (seconds) => liveWait(seconds, unit),
  checkInput: "Confira o que você digitou e tente novamente.",
  invalidPhone: "Esse número de telefone não parece válido. Confira o número e o país.",
  notMobile: "Este número não recebe SMS. Digite um número de celular.",
  countryNotAllowed: "Não podemos enviar códigos para números deste país.",
  numberBlocked: "Não podemos enviar códigos para este número.",
  rangePaused: (wait) => `Os envios para números como este estão pausados. ${later(wait)}`,
  unauthorized: "Entre novamente e tente de novo.",
  quota: (wait) => `Não é possível enviar SMS agora: a cota de mensagens acabou. ${later(wait)}`,
  notFound: "Não há código pendente para este número. Peça um novo.",
  phoneInUse: "Este número já está sendo usado por outra conta.",
  expired: "Este código expirou. Peça um novo.",
  wrongCode: (left) =>
    left === undefined
      ? "Código incorreto. Confira o SMS e tente novamente."
      : `Código incorreto. ${left === 1 ? "Resta 1 tentativa" : `Restam ${left} tentativas`}.`,
  appRateLimit: (wait) => `Muitos códigos solicitados. ${later(wait)}`,
  cooldown: (wait) =>
    wait
      ? `Acabamos de enviar um código. Você pode pedir outro em ${wait}.`
      : "Acabamos de enviar um código. Aguarde um momento.",
  providerLimiting: (wait) =>
    `Nosso serviço de SMS está sobrecarregado agora — não foi algo que você fez. ${later(wait, "Tente novamente em instantes.")}`,
  locked: (wait) =>
    `Muitos códigos errados: este código foi bloqueado. ${wait ? `Você pode pedir um novo em ${wait}.` : "Peça um novo."}`,
  unavailable: "O serviço está temporariamente indisponível. Tente novamente em instantes.",
  challenge: "Conclua a verificação e envie o código novamente.",
  providerDown:
    "Nosso serviço de SMS não está respondendo, então nenhum código foi enviado. Tente novamente em instantes.",
  platformError:
    "Seu código foi aceito, mas não conseguimos concluir. Peça um novo código e tente novamente.",
  userNotFound: "Nenhuma conta usa este número de telefone.",
  network: "Não conseguimos acessar o servidor. Verifique sua conexão e tente novamente.",
  incompleteCode: (length) => `Digite os ${length} dígitos.`,
  generic: "Algo deu errado. Tente novamente.",
};

const labels: OtpLabels = {
  phone: "Número de telefone",
  phoneHint: "Escolha seu país ou comece com + e o código do país.",
  phonePlaceholder: "",
  country: (name, dialCode) => `País: ${name}, ${dialCode}`,
  countrySearch: "Buscar país",
  countryList: "Países",
  noCountryMatch: "Nenhum país encontrado.",
  sendCode: "Enviar código",
  sending: "Enviando…",
  code: (length) => `Digite o código de ${length} dígitos`,
  digit: (position, length) => `Dígito ${position} de ${length}`,
  sentTo: (maskedPhone) => (
    <>
      Enviamos um código para <strong>{maskedPhone}</strong>.
    </>
  ),
  verify: "Verificar",
  verifying: "Verificando o código…",
  resend: "Reenviar código",
  resendIn: (secondsLeft) => `Reenviar código em ${clock(secondsLeft)}`,
  resendReady: "Você já pode pedir um novo código.",
  codeResent: "Código reenviado.",
  changePhone: "Usar outro número",
  verified: "Verificado.",
};

export default { locale: "pt-BR", labels, messages: buildMessages(texts) } satisfies OtpLocale;
