// Revoking the current query's leases, in four steps that cannot be skipped: a dry run that lists
// the leases (and their namespaces), a confirmation where the user types how many they are, the
// progress while Vault revokes them, and the summary that `--verify` gives (revoked, already gone,
// still live, failed). Shown only when the server was started with --allow-revoke; the Vault token
// stays on the server.
import { useState } from "preact/hooks";
import { leasesOf, revoke, type Lease, type RevokeSummary } from "./api-client.js";

type Step =
  | { readonly kind: "idle" }
  | { readonly kind: "listing" }
  | { readonly kind: "planned"; readonly leases: Lease[] }
  | { readonly kind: "revoking"; readonly count: number }
  | { readonly kind: "done"; readonly summary: RevokeSummary }
  | { readonly kind: "failed"; readonly message: string };

export function RevokePanel({ query }: { readonly query: string }) {
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const [typed, setTyped] = useState("");

  const dryRun = () => {
    setStep({ kind: "listing" });
    setTyped("");
    leasesOf(query).then(
      (leases) => setStep({ kind: "planned", leases }),
      (e: Error) => setStep({ kind: "failed", message: e.message }),
    );
  };

  const run = (count: number) => {
    setStep({ kind: "revoking", count });
    revoke(query, count).then(
      (summary) => setStep({ kind: "done", summary }),
      (e: Error) => setStep({ kind: "failed", message: e.message }),
    );
  };

  return (
    <section class="revoke" aria-label="revoke">
      <h2>Revoke leases</h2>
      <p class="revoke-query">
        for <code>{query}</code>
      </p>
      {step.kind === "idle" && (
        <button type="button" class="dry-run" onClick={dryRun}>
          Dry run: list the leases
        </button>
      )}
      {step.kind === "listing" && <p>Listing leases…</p>}
      {step.kind === "planned" && (
        <div class="revoke-plan">
          <p class="lease-count">
            {step.leases.length} lease{step.leases.length === 1 ? "" : "s"} would be revoked:
          </p>
          <ul class="lease-list">
            {step.leases.map((l) => (
              <li key={l.lease}>
                <code>{l.lease}</code>
                {l.namespace ? <span class="ns"> in {l.namespace}</span> : null}
              </li>
            ))}
          </ul>
          {step.leases.length > 0 && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                if (Number(typed) === step.leases.length) run(step.leases.length);
              }}
            >
              <label>
                Type {step.leases.length} to revoke them:{" "}
                <input
                  class="confirm-count"
                  inputMode="numeric"
                  value={typed}
                  onInput={(e) => setTyped(e.currentTarget.value)}
                />
              </label>
              <button
                type="submit"
                class="confirm-revoke danger"
                disabled={typed.trim() !== String(step.leases.length)}
              >
                Revoke {step.leases.length}
              </button>
            </form>
          )}
        </div>
      )}
      {step.kind === "revoking" && (
        <p class="revoke-progress">
          Revoking {step.count} leases… <progress />
        </p>
      )}
      {step.kind === "done" && (
        <dl class="revoke-summary">
          <dt>revoked</dt>
          <dd data-key="revoked">{step.summary.revoked}</dd>
          <dt>already gone</dt>
          <dd data-key="alreadyGone">{step.summary.alreadyGone}</dd>
          <dt>still live</dt>
          <dd data-key="stillLive">{step.summary.stillLive}</dd>
          <dt>failed</dt>
          <dd data-key="failed">{step.summary.failed}</dd>
        </dl>
      )}
      {step.kind === "failed" && <p class="revoke-error">{step.message}</p>}
    </section>
  );
}
