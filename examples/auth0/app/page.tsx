export default function Home() {
  return (
    <>
      <h1>Auth0 SMS step-up</h1>
      <p>
        Auth0 sends users who need it here, to <code>/verify</code>, after their login. There they get a code
        by SMS, type it, and go back to Auth0 with a signed answer. See <code>README.md</code> for the Actions
        and their secrets.
      </p>
    </>
  );
}
