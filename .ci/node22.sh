# shellcheck shell=bash
# Source this (`source .ci/node22.sh`) to run the project on a machine whose Node.js is older than
# 22: it installs the official Node.js 22 binary from the npm registry (package node-linux-<arch>@22)
# into .ci/.node, outside the project's node_modules, and puts it first on PATH. With Node 22 or
# newer already on PATH it changes nothing.
_d4ai_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_d4ai_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "${_d4ai_major}" -lt 22 ]; then
  case "$(uname -m)" in
    x86_64 | amd64) _d4ai_arch=x64 ;;
    aarch64 | arm64) _d4ai_arch=arm64 ;;
    *) echo "node22.sh: no node-linux package for $(uname -m); install Node.js 22 yourself" >&2; return 1 2>/dev/null || exit 1 ;;
  esac
  _d4ai_tool="${_d4ai_root}/.ci/.node"
  _d4ai_pkg="${_d4ai_tool}/node_modules/node-linux-${_d4ai_arch}"
  if [ ! -x "${_d4ai_pkg}/bin/node" ]; then
    echo "== Node.js ${_d4ai_major} is older than 22: installing node-linux-${_d4ai_arch}@22 from the npm registry into .ci/.node" >&2
    mkdir -p "${_d4ai_tool}"
    npm install --prefix "${_d4ai_tool}" --no-save --no-audit --no-fund --loglevel=error "node-linux-${_d4ai_arch}@22" >&2 || { return 1 2>/dev/null || exit 1; }
  fi
  export PATH="${_d4ai_pkg}/bin:${PATH}"
  # The package carries Node 22's headers too: a native module that must compile builds against them.
  export npm_config_nodedir="${_d4ai_pkg}"
  hash -r 2>/dev/null || true
fi
unset _d4ai_root _d4ai_major _d4ai_arch _d4ai_tool _d4ai_pkg
