// The guide's incident scenarios (README, "The scenarios, as commands") as one-click queries.
export interface ScenarioTemplate {
  readonly title: string;
  readonly query: string;
}

export const SCENARIO_TEMPLATES: readonly ScenarioTemplate[] = [
  { title: "Host compromised: its leases", query: "ip = 10.103.9.43 | leases" },
  { title: "Host compromised: what it did", query: "ip = 10.103.9.43" },
  { title: "Leaked password: its lease", query: 'hmac = hash("the-leaked-password") | leases' },
  {
    title: "Who touched a secret path",
    query: 'path ^= "secret/app1" and ip in 205.178.0.0/16 | count by ip',
  },
  {
    title: "Failed unwraps",
    query: 'path = "sys/wrapping/unwrap" and error ~ "not valid" | fields time, ip, error',
  },
  {
    title: "Tokens the host used: their leases",
    query: "token in (ip = 10.103.9.43 | distinct token) | leases",
  },
  { title: "Busiest paths", query: "op = read | top 10 path" },
  { title: "Activity of a host over time", query: "ip = 10.103.9.43 | timeline" },
];
