// Package action tests the fakegraf GitHub Action, action.yml at the
// repository's root, by running its steps on this machine the way a runner
// runs a composite action: each `run:` step under bash -e with its
// `${{ ... }}` expressions substituted, in its working directory, with the
// GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY files a
// runner provides, and what one step writes to them seen by the next.
//
// It is not a runner. It knows the few expressions action.yml uses
// (inputs.*, github.action_path, steps.*.outputs.*, env.*, runner.temp) and
// fails on any other, so that action.yml cannot grow one that goes
// untested. `uses:` steps are not run: the test checks they are the ones
// expected (actions/setup-go, only when Go is missing) and logs that it
// skipped them. The package has no code of its own besides the test.
package action
