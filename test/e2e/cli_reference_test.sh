#!/usr/bin/env bash
# The generated reference: README's command reference equals `ocib help
# --markdown` (both come from the flag definitions), every command and flag
# of `--help` is in it, the man page renders without warnings, and the bash
# completion completes commands and flags (zsh, when installed: syntax and the specs handed to _arguments).
source "$(dirname "$0")/lib.sh"
need awk

readme=$OCIB_SOURCE_DIR/README.md
awk '/^<!-- BEGIN generated command reference -->$/{on=1; next}
     /^<!-- END generated command reference -->$/{on=0} on' "$readme" > "$T/readme.md"
"$OCIB" help --markdown > "$T/generated.md"
if diff -u "$T/readme.md" "$T/generated.md" > "$T/diff"; then
  pass "README's command reference is ocib help --markdown"
else
  head -40 "$T/diff" >&2
  fail "README's command reference differs from the flag definitions: run cli/update_readme_reference.sh"
fi

# Every command of `ocib --help`, and every flag of its `--help`, is in the reference.
commands=$("$OCIB" --help | awk '/^Subcommands:/{on=1; next} on && NF {print $1}')
check "ocib --help lists commands" test -n "$commands"
missing=""
for cmd in $commands; do
  grep -q "^#### \`ocib $cmd[ \`]" "$T/generated.md" || missing="$missing $cmd"
  for flag in $("$OCIB" "$cmd" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    [ "$flag" = --help ] && continue
    grep -q -- "\`$flag[ ,\`]" "$T/generated.md" || missing="$missing $cmd:$flag"
  done
done
expect_eq "every command and flag of --help is in the reference" "${missing:-none}" none

# The man page.
"$OCIB" man > "$T/ocib.1"
check "man page has the NAME, COMMANDS, REGISTRY FLAGS and EXIT STATUS sections" \
  bash -c "grep -q '^.SH NAME' '$T/ocib.1' && grep -q '^.SH COMMANDS' '$T/ocib.1' && grep -q '^.SH \"REGISTRY FLAGS\"' '$T/ocib.1' && grep -q '^.SH \"EXIT STATUS\"' '$T/ocib.1'"
if command -v groff > /dev/null; then
  groff -man -Tutf8 -ww -z "$T/ocib.1" 2> "$T/groff.err"
  expect_eq "groff renders the man page without warnings" "$(cat "$T/groff.err")" ""
  check "the rendered page documents push --replace-referrers-tag" \
    bash -c "groff -man -Tutf8 '$T/ocib.1' 2>/dev/null | sed 's/\x08.//g' | grep -q -- '--replace-referrers-tag'"
else
  echo "note: groff missing; man page rendering not checked"
fi

# bash completion: COMPREPLY for a few command lines.
"$OCIB" completion bash > "$T/ocib.bash"
complete_bash() { # WORDS...: the completions of the last word
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ocib; printf "%s\n" "${COMPREPLY[@]}"' _ "$T/ocib.bash" "$@" | sort | tr '\n' ' '
}
expect_eq "bash: 'ocib bu' completes to build" "$(complete_bash ocib bu)" "build "
expect_eq "bash: 'ocib p' lists pull and push" "$(complete_bash ocib p)" "pull push "
expect_eq "bash: 'ocib inspect --ca' completes the shared flag" "$(complete_bash ocib inspect --ca)" "--ca-file "
expect_eq "bash: 'ocib cache pr' completes the nested command" "$(complete_bash ocib cache pr)" "prune "
expect_eq "bash: 'ocib cache prune --dr' completes its flag" "$(complete_bash ocib cache prune --dr)" "--dry-run "
mkdir -p "$T/files" && touch "$T/files/layout-one"
expect_eq "bash: an argument completes as a file" "$(complete_bash ocib validate "$T/files/lay")" "$T/files/layout-one "

"$OCIB" completion zsh > "$T/_ocib"
check "zsh completion starts with #compdef" grep -qx '#compdef ocib' "$T/_ocib"
if command -v zsh > /dev/null; then
  check "zsh parses the completion script" zsh -n "$T/_ocib"
  # With _arguments and _values stubbed: what the script hands them.
  zsh_args() { # WORDS...: the specs given to _arguments/_values for the last word
    zsh -c '_values() { print -l -r -- "$@"; }; _arguments() { print -l -r -- "cmd=${words[1]}" "$@"; }
            words=("${@:2}"); CURRENT=$#words; source "$1"' _ "$T/_ocib" "$@"
  }
  zsh_args ocib "" > "$T/zsh.top"
  check "zsh: ocib <TAB> offers build with its help" grep -q '^build\[Build an image' "$T/zsh.top"
  zsh_args ocib cache prune --d > "$T/zsh.prune"
  check "zsh: ocib cache prune -- completes prune's flags, words shifted" \
    bash -c "grep -qx 'cmd=prune' '$T/zsh.prune' && grep -q '^--dry-run\[' '$T/zsh.prune'"
  zsh_args ocib inspect -v > "$T/zsh.inspect"
  check "zsh: inspect's registry flags, -v and --verbose exclusive" \
    grep -qF -- '(--verbose -v)-v[' "$T/zsh.inspect"
else
  fail "zsh missing (.ci/deps installs it): the zsh script is not checked"
fi
run_rc=0; "$OCIB" completion fish > /dev/null 2>&1 || run_rc=$?
expect_eq "completion of an unknown shell: exit 2" "$run_rc" 2
finish
