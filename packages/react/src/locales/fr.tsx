import type { OtpLocale } from "../i18n.js";
import { clock, type OtpLabels } from "../labels.js";
import { buildMessages, liveWait, type MessageTexts } from "../messages.js";

const plural = (count: number, word: string) => `${count} ${word}${count > 1 ? "s" : ""}`;
const unit = (count: number, kind: "second" | "hour") =>
  plural(count, kind === "second" ? "seconde" : "heure");
const later = (wait: string | undefined, soon = "Réessayez plus tard.") =>
  wait ? `Réessayez dans ${wait}.` : soon;

const texts: MessageTexts = {
  wait: (seconds) => liveWait(seconds, unit),
  checkInput: "Vérifiez votre saisie et réessayez.",
  invalidPhone: "Ce numéro de téléphone ne semble pas valide. Vérifiez le numéro et le pays.",
  notMobile: "Ce numéro ne peut pas recevoir de SMS. Saisissez un numéro de mobile.",
  countryNotAllowed: "Nous ne pouvons pas envoyer de code aux numéros de ce pays.",
  numberBlocked: "Nous ne pouvons pas envoyer de code à ce numéro.",
  rangePaused: (wait) => `Les envois vers des numéros comme celui-ci sont suspendus. ${later(wait)}`,
  unauthorized: "Reconnectez-vous, puis réessayez.",
  quota: (wait) =>
    `Impossible d'envoyer des SMS pour le moment : le quota de messages est épuisé. ${later(wait)}`,
  notFound: "Aucun code en attente pour ce numéro. Demandez-en un nouveau.",
  phoneInUse: "Ce numéro est déjà utilisé par un autre compte.",
  expired: "Ce code a expiré. Demandez-en un nouveau.",
  wrongCode: (left) =>
    left === undefined
      ? "Ce code n'est pas le bon. Vérifiez le SMS et réessayez."
      : `Ce code n'est pas le bon. ${left > 1 ? `${left} essais restants` : `${left} essai restant`}.`,
  appRateLimit: (wait) => `Trop de codes demandés. ${later(wait)}`,
  cooldown: (wait) =>
    wait
      ? `Un code vient d'être envoyé. Vous pourrez en demander un autre dans ${wait}.`
      : "Un code vient d'être envoyé. Patientez un instant.",
  providerLimiting: (wait) =>
    `Notre service SMS est saturé en ce moment — vous n'y êtes pour rien. ${later(wait, "Réessayez dans un instant.")}`,
  locked: (wait) =>
    `Trop de codes erronés : ce code est bloqué. ${wait ? `Vous pourrez en demander un nouveau dans ${wait}.` : "Demandez-en un nouveau."}`,
  unavailable: "Le service est momentanément indisponible. Réessayez dans un instant.",
  challenge: "Effectuez la vérification, puis renvoyez le code.",
  providerDown: "Notre service SMS ne répond pas : aucun code n'a été envoyé. Réessayez dans un instant.",
  platformError:
    "Votre code a été accepté, mais nous n'avons pas pu terminer. Demandez un nouveau code et réessayez.",
  userNotFound: "Aucun compte n'utilise ce numéro.",
  network: "Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.",
  incompleteCode: (length) => `Saisissez les ${length} chiffres.`,
  generic: "Un problème est survenu. Veuillez réessayer.",
};

const labels: OtpLabels = {
  phone: "Numéro de téléphone",
  phoneHint: "Choisissez votre pays, ou commencez par + et l'indicatif du pays.",
  phonePlaceholder: "",
  country: (name, dialCode) => `Pays : ${name}, ${dialCode}`,
  countrySearch: "Rechercher un pays",
  countryList: "Pays",
  noCountryMatch: "Aucun pays ne correspond.",
  sendCode: "Recevoir un code",
  sending: "Envoi…",
  code: (length) => `Saisissez le code à ${length} chiffres`,
  digit: (position, length) => `Chiffre ${position} sur ${length}`,
  sentTo: (maskedPhone) => (
    <>
      Nous avons envoyé un code au <strong>{maskedPhone}</strong>.
    </>
  ),
  verify: "Vérifier",
  verifying: "Vérification du code…",
  resend: "Renvoyer le code",
  resendIn: (secondsLeft) => `Renvoyer le code dans ${clock(secondsLeft)}`,
  resendReady: "Vous pouvez demander un nouveau code.",
  codeResent: "Code renvoyé.",
  changePhone: "Utiliser un autre numéro",
  verified: "Vérifié.",
};

export default { locale: "fr", labels, messages: buildMessages(texts) } satisfies OtpLocale;
