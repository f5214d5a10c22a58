#!/usr/bin/env bash
# make-benchfile.sh OUT.pcap [MIN_PACKETS [MAX_PACKETS]]
#
# Builds the benchmark capture from the shared corpus:
#   1. every file under ${NETSIFT_PCAPS:-../shared/pcaps}/dev (a relative path
#      is taken relative to the repository root), in sorted (LC_ALL=C) order,
#      that capinfos reads without any error or warning and whose file
#      encapsulation is "Ethernet";
#   2. concatenated with `mergecap -a -F pcap` into one pcap file;
#   3. that file repeated (concatenated copies, `mergecap -a`) until it holds
#      at least MIN_PACKETS packets (default 500000), copy i moved i x
#      1,000,000 s later (`editcap -t`): exact copies would repeat every
#      packet's timestamp, and a tool that keys rows on (header, timestamp)
#      would store a quarter of them and skip the rest as duplicates, which
#      real traffic never lets it do;
#   4. if MAX_PACKETS is given and the result is larger, cut to the first
#      MAX_PACKETS packets with editcap (used by `bench/run --smoke`).
# The result is deterministic for a given corpus.
#
# Cache: if OUT exists, is newer than this script and was built with the same
# MIN_PACKETS, MAX_PACKETS and corpus directory (recorded in OUT.params), it is
# reused.  Delete OUT to force a rebuild (e.g. after the corpus changed).
#
# Prints one summary line (files used, packets, file size in bytes); the line is also kept
# in OUT.summary.  Needs capinfos, mergecap and editcap (Debian package
# wireshark-common).

set -euo pipefail

readonly MERGE_CHUNK=200   # max input files per mergecap call (fd limits)
readonly COPY_SHIFT_S=1000000  # time shift between repeated copies

die() { printf 'make-benchfile: %s\n' "$*" >&2; exit 1; }

usage() {
    printf 'usage: %s OUT.pcap [MIN_PACKETS [MAX_PACKETS]]\n' "${0##*/}" >&2
    exit 2
}

is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

# packet_count FILE -> number of packets (exact, no k/M abbreviation)
packet_count() { capinfos -M -T -m -r -c -- "$1" | awk -F, '{print $NF}'; }

# usable FILE: true if capinfos reads the whole file without any error or
# warning on stderr (e.g. "cut short in the middle of a packet") and the file
# encapsulation is Ethernet.
usable() {
    local out
    out=$(capinfos -E -- "$1" 2>"$ERR_FILE") || return 1
    [[ ! -s $ERR_FILE ]] || return 1
    printf '%s\n' "$out" | grep -Eq '^File encapsulation:[[:space:]]+Ethernet$'
}

# concat OUT FILE...: `mergecap -a -F pcap`, in chunks if there are many files.
concat() {
    local out=$1; shift
    if (($# <= MERGE_CHUNK)); then
        mergecap -a -F pcap -w "$out" -- "$@"
        return
    fi
    local parts=() i=0 part
    while (($# > 0)); do
        part="$out.part$((i++))"
        local n=$(($# < MERGE_CHUNK ? $# : MERGE_CHUNK))
        mergecap -a -F pcap -w "$part" -- "${@:1:n}"
        parts+=("$part")
        shift "$n"
    done
    concat "$out" "${parts[@]}"
    rm -f -- "${parts[@]}"
}

summary_line() { # OUT FILES_USED NOTE
    local out=$1 files=$2 note=${3:-}
    printf '%s: %s corpus files%s, %s packets, %s bytes\n' \
        "$out" "$files" "$note" "$(packet_count "$out")" "$(stat -c %s -- "$out")"
}

main() {
    (($# >= 1 && $# <= 3)) || usage
    local out=$1 min=${2:-500000} max=${3:-}
    is_count "$min" || die "MIN_PACKETS must be a positive integer, got '$min'"
    if [[ -n $max ]]; then
        is_count "$max" || die "MAX_PACKETS must be a positive integer, got '$max'"
        ((max >= min)) || die "MAX_PACKETS ($max) is below MIN_PACKETS ($min)"
    fi

    local tool
    for tool in capinfos mergecap editcap; do
        command -v "$tool" >/dev/null ||
            die "$tool not found (Debian: apt-get install wireshark-common)"
    done

    local script_dir repo_root pcaps corpus
    script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
    repo_root=$(cd -- "$script_dir/.." && pwd)
    pcaps=${NETSIFT_PCAPS:-../shared/pcaps}
    [[ $pcaps == /* ]] || pcaps="$repo_root/$pcaps"
    corpus="$pcaps/dev"
    [[ -d $corpus ]] || die "corpus directory $corpus not found (set NETSIFT_PCAPS)"

    # Cache: reuse OUT if it was built by this version of the script with the
    # same parameters from the same corpus directory.
    local params="min=$min max=${max:-none} corpus=$corpus"
    if [[ -s $out && $out -nt ${BASH_SOURCE[0]} && -s $out.summary && -s $out.params ]] &&
        [[ $(cat -- "$out.params") == "$params" ]]; then
        printf 'cached %s\n' "$(cat -- "$out.summary")"
        return 0
    fi

    mkdir -p -- "$(dirname -- "$out")"
    local work
    work=$(mktemp -d -- "$(dirname -- "$out")/.benchfile.XXXXXX")
    # shellcheck disable=SC2064  # expand $work now
    trap "rm -rf -- '$work'" EXIT
    ERR_FILE="$work/capinfos.err"

    # 1. Select the usable captures, in a deterministic order.
    local files=() f
    while IFS= read -r -d '' f; do
        usable "$f" && files+=("$f")
    done < <(find -L "$corpus" -type f -print0 | LC_ALL=C sort -z)
    ((${#files[@]} > 0)) || die "no clean Ethernet capture found under $corpus"

    # 2. One pass over the corpus.
    concat "$work/base.pcap" "${files[@]}"
    local base_count
    base_count=$(packet_count "$work/base.pcap")
    ((base_count > 0)) || die "the selected captures hold no packets"

    # 3. Repeat until at least MIN packets.
    local copies=$(((min + base_count - 1) / base_count)) result="$work/base.pcap"
    if ((copies > 1)); then
        local list=() i
        list+=("$work/base.pcap")
        for ((i = 1; i < copies; i++)); do
            editcap -F pcap -t "$((i * COPY_SHIFT_S))" "$work/base.pcap" "$work/copy$i.pcap"
            list+=("$work/copy$i.pcap")
        done
        concat "$work/repeated.pcap" "${list[@]}"
        result="$work/repeated.pcap"
    fi

    # 4. Optional cap.
    local note=" x$copies"
    ((copies > 1)) && note="$note (copy i shifted i x ${COPY_SHIFT_S} s)"
    if [[ -n $max ]] && (($(packet_count "$result") > max)); then
        editcap -F pcap -r "$result" "$work/cut.pcap" "1-$max"
        result="$work/cut.pcap"
        note="$note, cut to the first $max packets"
    fi

    rm -f -- "$out.params"
    mv -f -- "$result" "$out"
    summary_line "$out" "${#files[@]}" "$note" >"$out.summary"
    printf '%s\n' "$params" >"$out.params"
    cat -- "$out.summary"
}

main "$@"
