// app/main.ts — the page: project URL + anon key, phone, code.
import { createClient } from "@supabase/supabase-js";
import { sendCode, verifyCode } from "./auth";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>("status");
const show = (text: string) => {
  status.textContent = text;
};

function client() {
  const url = $<HTMLInputElement>("url").value.trim();
  const key = $<HTMLInputElement>("key").value.trim();
  localStorage.setItem("otpkit-example", JSON.stringify({ url, key }));
  return createClient(url, key, { auth: { persistSession: false } });
}

const saved = JSON.parse(localStorage.getItem("otpkit-example") ?? "{}") as { url?: string; key?: string };
if (saved.url) $<HTMLInputElement>("url").value = saved.url;
if (saved.key) $<HTMLInputElement>("key").value = saved.key;

$<HTMLFormElement>("send").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = await sendCode(client(), $<HTMLInputElement>("phone").value);
  show(
    result.ok
      ? "Code sent. Check your phone (or the sandbox inbox)."
      : `${result.status ?? ""} ${result.message}`,
  );
  if (result.ok) $<HTMLInputElement>("code").focus();
});

$<HTMLFormElement>("verify").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = await verifyCode(
    client(),
    $<HTMLInputElement>("phone").value,
    $<HTMLInputElement>("code").value,
  );
  show(result.ok ? `Signed in as ${result.value.id} (phone ${result.value.phone}).` : result.message);
});
