# Shared helpers for scripts/: installing what is missing, and step messages.

step() { printf '\n==> %s\n' "$*"; }

as_root_or_explain() {
  # Runs an install command when root; otherwise says exactly which command to run.
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo "$@"
  else
    echo "error: missing system packages; run as root: $*" >&2
    exit 1
  fi
}

apt_install() {
  # apt_install pkg... : installs the Debian packages that are not installed yet.
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root_or_explain apt-get update -qq
  as_root_or_explain apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_build_tools() {
  command -v dotnet >/dev/null 2>&1 || { echo "error: the .NET 10 SDK is required (dotnet on PATH)" >&2; exit 1; }
  # Native AOT links with clang/gcc and needs zlib headers.
  apt_install clang zlib1g-dev bc
  # The web UI (web/) is built with node: esbuild and TypeScript pinned in web/package-lock.json.
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
}

build_web() {
  # Builds web/dist (the web UI's index.html and assets), which ferryd embeds: run before dotnet build/publish.
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/web"
  step "building the web UI (web/build.sh)"
  "$dir/build.sh"
}

ensure_test_dependencies() {
  ensure_build_tools
  # Real servers and clients the tests drive.
  apt_install postgresql postgresql-client mariadb-server mariadb-client openssl sysbench oathtool curl
  # Java drivers for the JDBC URL test (pgjdbc, MariaDB Connector/J).
  apt_install default-jdk-headless libpostgresql-jdbc-java libmariadb-java
  # Python drivers that send statements the way real applications do (USE as a query).
  apt_install python3-pymysql
  ensure_oidc_dependencies
  ensure_web_test_dependencies
}

ensure_web_test_dependencies() {
  # The web UI's Chromium tests (tests/web): playwright-core from tests/web/package-lock.json driving
  # Debian's chromium (installed by ensure_oidc_dependencies); nothing downloads a browser.
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/web" && pwd)"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    step "npm ci in tests/web"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
  fi
}

ensure_oidc_dependencies() {
  # The SSO tests and demo: a real OpenID Connect provider (oidc-provider) and a headless browser
  # driver (playwright-core) from tests/oidc/package-lock.json, and Debian's chromium. Nothing
  # downloads a browser: playwright-core is pointed at /usr/bin/chromium.
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  apt_install chromium
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/oidc" && pwd)"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    step "npm ci in tests/oidc"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
  fi
}
