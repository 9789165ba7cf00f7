#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Every C, header, shell and Python file that git tracks names its licence in
# its first lines (an SPDX tag, as LICENSE and docs/architecture.md ask):
# prints the files that do not and fails, or one line with the count.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
n=0
while IFS= read -r f; do
	[ -f "$f" ] || continue # deleted in the work tree, not yet in the index
	n=$((n + 1))
	if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier: BSD-3-Clause'; then
		missing+=("$f")
	fi
done < <(git ls-files '*.c' '*.h' '*.sh' '*.py')

if [ "$n" -eq 0 ]; then
	echo "check_spdx: no tracked source files found (not a git checkout?)" >&2
	exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "check_spdx: ${#missing[@]} of $n files lack 'SPDX-License-Identifier: BSD-3-Clause' in their first 3 lines:" >&2
	printf '  %s\n' "${missing[@]}" >&2
	exit 1
fi
echo "check_spdx: $n files carry an SPDX-License-Identifier line"
