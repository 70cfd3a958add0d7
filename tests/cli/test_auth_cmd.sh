#!/usr/bin/env bash
# `asyncz auth token|user NAME --role ROLE [--file FILE]`: the lines of the HTTP server's tokens and users
# files. A token is printed once and its file line holds its SHA-256; a user's line holds a yescrypt hash of
# the password read from standard input; --file appends (creating the file 0600) and refuses a file that has
# the name already, has a bad line, or that group or others may write. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

# a token and its line
ok "token" auth token ci --role operator
[[ $(wc -l <<<"$out") -eq 2 ]] || fail "token: two lines expected: $out"
token=$(sed -n 1p <<<"$out")
line=$(sed -n 2p <<<"$out")
[[ $token =~ ^azt_[A-Za-z0-9_-]{43}$ ]] || fail "token: not azt_ and 43 base64url characters: $token"
sum=$(printf %s "$token" | sha256sum | cut -d' ' -f1)
same "token: the file's line" "ci operator sha256:$sum" "$line"
ok "token again" auth token ci --role operator
[[ $(sed -n 1p <<<"$out") != "$token" ]] || fail "the same token twice"
passed=$((passed + 1))

# --file: the token alone on stdout, the line appended to a new 0600 file
f=$TMP/tokens
ok "token --file" auth token ci --role admin --file "$f"
token=$out
[[ $token =~ ^azt_[A-Za-z0-9_-]{43}$ ]] || fail "token --file: $token"
sum=$(printf %s "$token" | sha256sum | cut -d' ' -f1)
same "token --file: the file" "ci admin sha256:$sum" "$(cat "$f")"
same "token --file: mode" "600" "$(stat -c %a "$f")"
expect "token --file: the name again" 2 "asyncz auth: $f:1: token 'ci' is there already: remove its line first*" \
    auth token ci --role viewer --file "$f"
printf '# tokens\nro viewer sha256:%064d' 0 >"$f.2" # no newline at the end
chmod 600 "$f.2"
ok "token --file: a last line without its newline" auth token ci --role viewer --file "$f.2"
[[ $(sed -n 3p "$f.2") == "ci viewer sha256:"* ]] || fail "token --file: $(cat "$f.2")"
[[ $(wc -l <"$f.2") -eq 3 ]] || fail "token --file: the lines: $(cat "$f.2")"
passed=$((passed + 1))
chmod 620 "$f"
expect "token --file: group-writable" 2 "asyncz auth: $f: group or others may write it (mode 0620)*chmod go-w $f*" \
    auth token ro --role viewer --file "$f"
chmod 600 "$f"
echo "ro viewer" >>"$f"
expect "token --file: a bad line" 2 "asyncz auth: $f:2: 2 fields where 3 are expected*" \
    auth token x --role viewer --file "$f"
expect "token --file: a directory" 2 "asyncz auth: $TMP: not a regular file" auth token x --role viewer --file "$TMP"

# a user: the password from standard input, hashed with yescrypt
run auth user bob --role viewer <<<"battery staple"
[[ $rc -eq 0 && -z $err ]] || fail "user: exit $rc: $err"
[[ $out =~ ^bob\ viewer\ (\$y\$[^ ]+)$ ]] || fail "user: not 'bob viewer \$y\$...': $out"
hash=${BASH_REMATCH[1]}
# perl's crypt is libcrypt's: the hash checks the password, and only it
same "user: the hash checks the password" "$hash" "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "battery staple" "$hash")"
[[ $(perl -e 'print crypt($ARGV[0], $ARGV[1])' "battery stapl" "$hash") != "$hash" ]] || fail "a wrong password checks"
passed=$((passed + 1))
u=$TMP/users
run auth user alice --role admin --file "$u" < <(printf 'correct horse\r\nignored\n')
[[ $rc -eq 0 && -z $out && -z $err ]] || fail "user --file: exit $rc: $out $err"
[[ $(cat "$u") =~ ^alice\ admin\ (\$y\$[^ ]+)$ ]] || fail "user --file: $(cat "$u")"
hash=${BASH_REMATCH[1]}
same "user --file: the first line without its CR" "$hash" "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "correct horse" "$hash")"
same "user --file: mode" "600" "$(stat -c %a "$u")"
run auth user alice --role viewer --file "$u" <<<"x"
[[ $rc -eq 2 && $err == *"$u:1: user 'alice' is there already"* ]] || fail "user --file: the name again: $rc $err"
passed=$((passed + 1))
echo "old admin \$1\$saltsalt\$2vnaRpHa6Jxjz5n83ok8Z0" >>"$u"
run auth user carol --role viewer --file "$u" <<<"x"
[[ $rc -eq 2 && $err == *"$u:2: user 'old': a MD5 (\$1\$) hash is too weak"* ]] || fail "user --file: a weak hash: $rc $err"
passed=$((passed + 1))
expect "user: no password" 2 "asyncz auth: no password on standard input*" auth user bob --role viewer </dev/null
expect "user: an empty password" 2 "asyncz auth: the password is empty*" auth user bob --role viewer <<<""
run auth user bob --role viewer < <(head -c 1100 /dev/zero | tr '\0' x)
[[ $rc -eq 2 && $err == *"longer than 1024 bytes"* ]] || fail "user: a long password: $rc $err"
passed=$((passed + 1))

# the command line
expect "a bad role" 2 "asyncz auth: --role 'root': not a role: viewer, operator or admin" auth token ci --role root
expect "no role" 2 "asyncz auth: --role is required: viewer, operator or admin*" auth token ci
expect "no name" 2 "asyncz auth: auth user needs a NAME*" auth user --role admin
expect "a bad name" 2 "asyncz auth: name 'c i': use 1 to 127 of A-Z a-z 0-9 . _ @ -*" auth token "c i" --role admin
expect "nothing" 2 "asyncz auth: say what to make*" auth
expect "unknown subcommand" 2 "asyncz auth: unknown subcommand 'key': 'token' or 'user'*" auth key ci --role admin
expect "two names" 2 "asyncz auth: unexpected argument 'b'*" auth token a b --role admin
expect "role twice" 2 "asyncz auth: --role given twice*" auth token a --role admin --role viewer
expect "unknown option" 2 "asyncz auth: unknown or ambiguous option '--store'*" auth token a --role admin --store x
ok "--help" auth --help
[[ $out == *"--role ROLE"* && $out == *"--file FILE"* && $out == *"yescrypt"* ]] || fail "--help: $out"
ok "help auth" help auth
passed=$((passed + 1))

echo "$passed passed, 0 failed"
