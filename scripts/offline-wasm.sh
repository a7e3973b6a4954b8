#!/usr/bin/env bash
# Fallback for machines whose rustup cannot download the wasm32 target:
# installs Debian's rustc-web (a recent stable rustc) with its std sources and
# compiles the wasm32-unknown-unknown std into its sysroot once. Afterwards
# put /usr/bin first on PATH and `cargo build --target wasm32-unknown-unknown`
# works. Idempotent; needs root and Debian's package archive.
set -euo pipefail
packages=(rustc-web cargo-web rust-web-src lld-22)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "offline-wasm: installing ${missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rustc=/usr/bin/rustc
cargo=/usr/bin/cargo
sysroot=$("$rustc" --print sysroot)
dest=$sysroot/lib/rustlib/wasm32-unknown-unknown/lib
if compgen -G "$dest/libstd-*.rlib" >/dev/null; then
  echo "offline-wasm: wasm32 std already built for $("$rustc" --version)"
  exit 0
fi
src=$sysroot/lib/rustlib/src/rust/library
[[ -d $src ]] || { echo "offline-wasm: no std sources at $src" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
printf '[package]\nname = "wasm-std"\nversion = "0.0.0"\nedition = "2021"\n[lib]\ncrate-type = ["rlib"]\n[profile.release]\nlto = false\n' >"$work/Cargo.toml"
echo 'pub fn probe() -> usize { std::vec![1u8].len() }' >"$work/src/lib.rs"
echo "offline-wasm: compiling the wasm32 std from $src (one time, about a minute)"
(cd "$work" && env -u RUSTUP_TOOLCHAIN PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 \
  RUSTFLAGS="-Cembed-bitcode=yes" CARGO_TARGET_DIR="$work/target" \
  "$cargo" build -q --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort)
mkdir -p "$dest"
find "$work/target/wasm32-unknown-unknown/release/deps" -name '*.rlib' ! -name 'libwasm_std-*' -exec cp {} "$dest/" \;
echo "offline-wasm: installed the wasm32 std into $dest"
