import { VerifyForm } from "./verify-form";

export const dynamic = "force-dynamic";

/** Auth0's post-login Action redirects here with `?session_token=…&state=…`. */
export default async function VerifyPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { session_token: token, state } = await searchParams;
  if (typeof token !== "string" || typeof state !== "string") {
    return (
      <>
        <h1>Nothing to verify</h1>
        <p>Open this page from your Auth0 login.</p>
      </>
    );
  }
  return <VerifyForm sessionToken={token} state={state} />;
}
