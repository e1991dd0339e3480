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
    # With a foreign architecture added (arm64 for cross-builds), a bare name installed for both is ambiguous to
    # dpkg -s: ask for the native one then.
    dpkg -s "$p" >/dev/null 2>&1 || dpkg -s "$p:$(dpkg --print-architecture)" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root_or_explain apt-get update -qq
  as_root_or_explain apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_build_tools() {
  command -v dotnet >/dev/null 2>&1 || { echo "error: the .NET 10 SDK is required (dotnet on PATH)" >&2; exit 1; }
  # Native AOT links with clang/gcc and needs zlib headers; ferryd links SQLite statically (libsqlite3.a from
  # libsqlite3-dev); scripts/build reads ELF headers with readelf (binutils).
  apt_install clang zlib1g-dev libsqlite3-dev binutils bc
  # The web UI (web/) is built with node: esbuild and TypeScript pinned in web/package-lock.json.
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
}

ensure_arm64_cross_tools() {
  # scripts/build --arch arm64: Native AOT cross-compiles with clang --target=aarch64-linux-gnu, links against
  # Debian's arm64 C runtime (libc6-dev-arm64-cross, and libgcc/crt objects from gcc-aarch64-linux-gnu), zlib
  # and the static SQLite of the arm64 architecture (multiarch), and strips with aarch64-linux-gnu-objcopy.
  ensure_arm64_architecture
  apt_install clang lld gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross \
    zlib1g-dev:arm64 libsqlite3-dev:arm64
}

ensure_arm64_runtime() {
  # Running the arm64 binaries on an x64 machine (tests, scripts/image): qemu-user-static, and the arm64 libc,
  # loader (/lib/ld-linux-aarch64.so.1) and OpenSSL through multiarch, so the binaries find them as on arm64.
  ensure_arm64_architecture
  apt_install qemu-user-static libc6:arm64 libssl3:arm64
}

ensure_arm64_architecture() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    step "adding the arm64 architecture to dpkg (multiarch)"
    as_root_or_explain dpkg --add-architecture arm64
    export DEBIAN_FRONTEND=noninteractive
    as_root_or_explain apt-get update -qq
  fi
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
  # MariaDB's C client library and headers: a cursor client (COM_STMT_FETCH) no packaged tool or driver here sends.
  apt_install libmariadb-dev
  # The arm64 agent under qemu (Arm64AgentTests) and the OCI image checks (ContainerImageTests: umoci).
  ensure_arm64_cross_tools
  ensure_arm64_runtime
  apt_install umoci tar gzip
  # gdb: a helper process that does not end in time has its threads' stacks put in the failure (ProcessRunner).
  apt_install gdb
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
