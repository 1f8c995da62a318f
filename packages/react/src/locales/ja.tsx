import type { OtpLocale } from "../i18n.js";
import { clock, type OtpLabels } from "../labels.js";
import { buildMessages, liveWait, type MessageTexts } from "../messages.js";

const unit = (count: number, kind: "second" | "hour") => `${count}${kind === "second" ? "秒" : "時間"}`;
const later = (wait: string | undefined, soon = "しばらくしてからもう一度お試しください。") =>
  wait ? `${wait}後にもう一度お試しください。` : soon;

const texts: MessageTexts = {
  wait: (seconds) => liveWait(seconds, unit),
  checkInput: "入力内容を確認して、もう一度お試しください。",
  invalidPhone: "電話番号が正しくないようです。番号と国を確認してください。",
  notMobile: "この番号ではSMSを受信できません。携帯電話の番号を入力してください。",
  countryNotAllowed: "この国の電話番号にはコードを送信できません。",
  numberBlocked: "この番号にはコードを送信できません。",
  rangePaused: (wait) => `この番号帯への送信は一時停止しています。${later(wait)}`,
  unauthorized: "もう一度サインインしてから、お試しください。",
  quota: (wait) => `現在SMSを送信できません（送信上限に達しました）。${later(wait)}`,
  notFound: "この番号に有効なコードはありません。新しいコードをリクエストしてください。",
  phoneInUse: "この電話番号は別のアカウントで使用されています。",
  expired: "このコードは有効期限が切れました。新しいコードをリクエストしてください。",
  wrongCode: (left) =>
    left === undefined
      ? "コードが正しくありません。SMSを確認して、もう一度お試しください。"
      : `コードが正しくありません。残り${left}回です。`,
  appRateLimit: (wait) => `コードのリクエストが多すぎます。${later(wait)}`,
  cooldown: (wait) =>
    wait
      ? `コードを送信したばかりです。${wait}後に再度リクエストできます。`
      : "コードを送信したばかりです。少しお待ちください。",
  providerLimiting: (wait) =>
    `SMS送信サービスが混み合っています（お客様の操作が原因ではありません）。${later(wait, "少ししてからもう一度お試しください。")}`,
  locked: (wait) =>
    `間違ったコードが多すぎるため、このコードはロックされました。${wait ? `${wait}後に新しいコードをリクエストできます。` : "新しいコードをリクエストしてください。"}`,
  unavailable: "サービスは一時的に利用できません。少ししてからもう一度お試しください。",
  challenge: "確認を完了してから、もう一度コードを送信してください。",
  providerDown:
    "SMS送信サービスが応答しないため、コードは送信されませんでした。少ししてからもう一度お試しください。",
  platformError:
    "コードは確認されましたが、処理を完了できませんでした。新しいコードをリクエストしてお試しください。",
  userNotFound: "この電話番号を使用しているアカウントはありません。",
  network: "サーバーに接続できません。接続を確認して、もう一度お試しください。",
  incompleteCode: (length) => `${length}桁すべて入力してください。`,
  generic: "問題が発生しました。もう一度お試しください。",
};

const labels: OtpLabels = {
  phone: "電話番号",
  phoneHint: "国を選ぶか、+と国番号から入力してください。",
  phonePlaceholder: "",
  country: (name, dialCode) => `国: ${name}、${dialCode}`,
  countrySearch: "国を検索",
  countryList: "国の一覧",
  noCountryMatch: "一致する国はありません。",
  sendCode: "コードを送信",
  sending: "送信中…",
  code: (length) => `${length}桁のコードを入力`,
  digit: (position, length) => `${length}桁中${position}桁目`,
  sentTo: (maskedPhone) => (
    <>
      <strong>{maskedPhone}</strong> にコードを送信しました。
    </>
  ),
  verify: "確認",
  verifying: "コードを確認しています…",
  resend: "コードを再送信",
  resendIn: (secondsLeft) => `${clock(secondsLeft)} 後に再送信できます`,
  resendReady: "新しいコードをリクエストできます。",
  codeResent: "コードを再送信しました。",
  changePhone: "別の番号を使う",
  verified: "確認しました。",
};

export default { locale: "ja", labels, messages: buildMessages(texts) } satisfies OtpLocale;
