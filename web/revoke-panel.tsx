// Revoking the current query's leases, in four steps that cannot be skipped: a dry run that lists
// the leases (and their namespaces), a confirmation where the user types how many they are, the
// progress while Vault revokes them (one outcome line per lease), and the summary `--verify` gives:
// revoked, already gone, still live (Vault answered but a lookup still finds the lease), failed.
// Shown only when the server was started with --allow-revoke; the Vault token stays on the server.
import { useState } from "preact/hooks";
import { revoke, revokePlan, type RevokePlan, type RevokeSummary } from "./api-client.js";

type Step =
  | { readonly kind: "idle" }
  | { readonly kind: "listing" }
  | { readonly kind: "planned"; readonly plan: RevokePlan }
  | { readonly kind: "revoking"; readonly done: number; readonly count: number }
  | { readonly kind: "done"; readonly summary: RevokeSummary }
  | { readonly kind: "failed"; readonly message: string };

const STILL_LIVE = /still live/i;

export function RevokePanel({ query }: { readonly query: string }) {
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const [typed, setTyped] = useState("");

  const dryRun = () => {
    setStep({ kind: "listing" });
    setTyped("");
    revokePlan(query).then(
      (plan) => setStep({ kind: "planned", plan }),
      (e: Error) => setStep({ kind: "failed", message: e.message }),
    );
  };

  const run = (count: number) => {
    let done = 0;
    setStep({ kind: "revoking", done, count });
    revoke(query, count, () => setStep({ kind: "revoking", done: ++done, count })).then(
      (summary) => setStep({ kind: "done", summary }),
      (e: Error) => setStep({ kind: "failed", message: e.message }),
    );
  };

  return (
    <section class="revoke" aria-label="revoke">
      <h2>Revoke leases</h2>
      <p class="revoke-query">
        of <code>{query}</code>
      </p>
      {step.kind === "idle" && (
        <button type="button" class="dry-run" onClick={dryRun}>
          Dry run: list the leases
        </button>
      )}
      {step.kind === "listing" && <p>Listing leases…</p>}
      {step.kind === "planned" && (
        <Plan plan={step.plan} typed={typed} onType={setTyped} onConfirm={run} />
      )}
      {step.kind === "revoking" && (
        <p class="revoke-progress">
          Revoking: {step.done} of {step.count} answered{" "}
          <progress max={step.count} value={step.done} />
        </p>
      )}
      {step.kind === "done" && <Summary summary={step.summary} />}
      {step.kind === "failed" && <p class="revoke-error">{step.message}</p>}
    </section>
  );
}

interface PlanProps {
  readonly plan: RevokePlan;
  readonly typed: string;
  readonly onType: (text: string) => void;
  readonly onConfirm: (count: number) => void;
}

function Plan({ plan, typed, onType, onConfirm }: PlanProps) {
  const n = plan.count;
  const skipped = plan.plan.length - n;
  return (
    <div class="revoke-plan">
      <p class="lease-count">
        {n} lease{n === 1 ? "" : "s"} would be revoked
        {skipped > 0 ? ` (${skipped} done already, by the journal)` : ""}:
      </p>
      <ul class="lease-list">
        {plan.plan.map((l) => (
          <li key={`${l.namespace}\u0000${l.leaseId}`} data-action={l.action}>
            <code>{l.leaseId}</code>
            {l.namespace ? <span class="ns"> in namespace {l.namespace}</span> : null}
            {l.action === "skip" ? <span class="ns"> (done already)</span> : null}
          </li>
        ))}
      </ul>
      {n > 0 && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (typed.trim() === String(n)) onConfirm(n);
          }}
        >
          <label>
            Type {n} to revoke them:{" "}
            <input
              class="confirm-count"
              inputMode="numeric"
              autocomplete="off"
              value={typed}
              onInput={(e) => onType(e.currentTarget.value)}
            />
          </label>{" "}
          <button type="submit" class="confirm-revoke danger" disabled={typed.trim() !== String(n)}>
            Revoke {n}
          </button>
        </form>
      )}
    </div>
  );
}

function Summary({ summary }: { readonly summary: RevokeSummary }) {
  const stillLive = summary.failures.filter((f) => STILL_LIVE.test(f.reason ?? "")).length;
  return (
    <div>
      <dl class="revoke-summary">
        <dt>revoked</dt>
        <dd data-key="revoked">{summary.revoked}</dd>
        <dt>already gone</dt>
        <dd data-key="alreadyGone">{summary.alreadyGone}</dd>
        <dt>still live</dt>
        <dd data-key="stillLive">{stillLive}</dd>
        <dt>failed</dt>
        <dd data-key="failed">{summary.failed - stillLive}</dd>
      </dl>
      {summary.failures.length > 0 && (
        <ul class="lease-list failures">
          {summary.failures.map((f) => (
            <li key={f.leaseId}>
              <code>{f.leaseId}</code>: {f.reason ?? f.outcome}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
