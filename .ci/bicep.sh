# shellcheck shell=bash
# Source this (`source .ci/bicep.sh`) to get the official Bicep CLI, pinned, without committing a
# binary: the machine's own `dotnet` restores the NuGet package Azure.Bicep.CommandLine.<rid> (its
# tools/ folder holds the self-contained `bicep` executable) into .ci/.bicep/ (ignored by git), and
# D4AI_BICEP names the executable for test/infra. A second run finds the package and does nothing.
#
# Why NuGet: the project's machines reach NuGet and npm but not the GitHub release downloads `az
# bicep install` uses, and a restore is checked against the package's signed hash.
# Pin: change D4AI_BICEP_VERSION here (and nowhere else) to move to another compiler release.
D4AI_BICEP_VERSION="0.49.2"
_d4ai_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "$(uname -m)" in
  x86_64 | amd64) _d4ai_rid=linux-x64 ;;
  aarch64 | arm64) _d4ai_rid=linux-arm64 ;;
  *) echo "bicep.sh: no Bicep CLI package for $(uname -m)" >&2; return 1 2>/dev/null || exit 1 ;;
esac
_d4ai_dir="${_d4ai_root}/.ci/.bicep"
_d4ai_pkg_id="Azure.Bicep.CommandLine.${_d4ai_rid}"
_d4ai_pkg_lower="$(printf '%s' "${_d4ai_pkg_id}" | tr '[:upper:]' '[:lower:]')"
_d4ai_exe="${_d4ai_dir}/packages/${_d4ai_pkg_lower}/${D4AI_BICEP_VERSION}/tools/bicep"
if [ ! -f "${_d4ai_exe}" ]; then
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "bicep.sh: dotnet is not on PATH; install the .NET SDK to restore the Bicep CLI" >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "== Bicep CLI ${D4AI_BICEP_VERSION}: restoring ${_d4ai_pkg_id} with dotnet into .ci/.bicep" >&2
  mkdir -p "${_d4ai_dir}"
  # A restore-only project, written here rather than committed so obj/ stays inside the ignored
  # folder. PackageDownload fetches exactly this version and adds nothing to any build.
  cat > "${_d4ai_dir}/bicep-cli.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net$(dotnet --version | cut -d. -f1,2)</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="${_d4ai_pkg_id}" Version="[${D4AI_BICEP_VERSION}]" /></ItemGroup>
</Project>
CSPROJ
  dotnet restore "${_d4ai_dir}/bicep-cli.csproj" --packages "${_d4ai_dir}/packages" --nologo -v quiet >&2 \
    || { echo "bicep.sh: dotnet restore of ${_d4ai_pkg_id} ${D4AI_BICEP_VERSION} failed" >&2; return 1 2>/dev/null || exit 1; }
fi
# NuGet does not keep the execute bit of files inside a package.
chmod u+x "${_d4ai_exe}"
export D4AI_BICEP="${_d4ai_exe}"
"${D4AI_BICEP}" --version >&2
unset _d4ai_root _d4ai_rid _d4ai_dir _d4ai_pkg_id _d4ai_pkg_lower _d4ai_exe
