import assert from "node:assert/strict";
import { inFlagTerms } from "../../src/cli/flag_terms.ts";

Deno.test("inFlagTerms() names the CLI's flags, never touching a path or a name that contains an option's name", () => {
  assert.equal(
    inFlagTerms(
      'Cannot load kubeconfig /tmp/prod-cluster.kubeconfig (cluster.kubeconfig): context "staging.cluster.context" ' +
        "from cluster.context; pass cluster.kubeconfig or cluster.server; cluster.namespace",
    ),
    'Cannot load kubeconfig /tmp/prod-cluster.kubeconfig (--kubeconfig): context "staging.cluster.context" ' +
      "from --context; pass --kubeconfig; --namespace",
  );
});
