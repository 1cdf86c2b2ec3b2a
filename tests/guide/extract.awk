# Splits docs/operator-guide.md into the steps tests/guide/run-guide.sh performs (POSIX awk; mawk is enough).
#
#   awk -v out=DIR -f tests/guide/extract.awk docs/operator-guide.md
#
# Writes DIR/steps, one line per step: "N<TAB>KIND<TAB>LINE<TAB>TEXT" (LINE = the guide's line number), and per step:
#   run      a command of a ```console block; TEXT its first line. N.cmd the command (with its continuation and
#            here-document lines), N.expect the output the guide shows (may be empty), N.anyexit when the next
#            command of the block is `echo $?` (the status is then checked by that command's output, not here).
#   file     a ```yaml file=PATH block; TEXT the PATH, N.content the text to write there.
#   skip     a ```sh block the harness does not run; TEXT its first line ("# Not run by tests/guide: ...").
#   sandbox  a ```sh sandbox=ACTION block: not run either, the harness performs ACTION in its place; TEXT "ACTION | first line".
# Anything the harness could not account for is an error (message on stderr, exit status 2): a shell block without the
# "not run" line, command-like lines ("$ ...") outside a console block, output before a console block's first command,
# a fence that is indented (it could hide a block), an unterminated fence or here-document.

function fail(msg) { printf "extract: %s:%d: %s\n", FILENAME, NR, msg > "/dev/stderr"; failed = 1 }

function add(kind, line, text) {
  steps++
  printf "%d\t%s\t%d\t%s\n", steps, kind, line, text > (out "/steps")
  return steps
}

function write(file, text) {
  printf "%s", text > file
  close(file)
}

# The here-document delimiter a command line opens ("" when none): <<EOF, <<'EOF', <<"EOF", <<-EOF.
function heredoc(text,    m) {
  if (!match(text, /<<-?[ \t]*['"]?[A-Za-z_][A-Za-z0-9_]*['"]?/)) return ""
  m = substr(text, RSTART, RLENGTH)
  sub(/^<<-?[ \t]*/, "", m)
  gsub(/['"]/, "", m)
  return m
}

function console_block(    i, cmd, delim, expect, n, first, prev, at) {
  i = 1
  prev = 0
  while (i <= count) {
    if (substr(body[i], 1, 2) != "$ ") {
      fail("line " (start + i) ": output before the first command of a console block")
      return
    }
    at = start + i
    first = substr(body[i], 3)
    cmd = first
    delim = heredoc(first)
    # Continuation lines: a trailing backslash.
    while (cmd ~ /\\$/ && i < count) {
      i++
      cmd = cmd "\n" body[i]
      if (delim == "") delim = heredoc(body[i])
    }
    if (delim != "") {
      do {
        if (i >= count) { fail("line " (start + i) ": here-document '" delim "' is not closed in its block"); return }
        i++
        cmd = cmd "\n" body[i]
      } while (body[i] != delim && body[i] !~ ("^\t*" delim "$"))
    }
    n = add("run", at, first)
    write(out "/" n ".cmd", cmd "\n")
    if (cmd == "echo $?" && prev > 0) write(out "/" prev ".anyexit", "")
    expect = ""
    i++
    while (i <= count && substr(body[i], 1, 2) != "$ ") {
      expect = expect body[i] "\n"
      i++
    }
    write(out "/" n ".expect", expect)
    prev = n
  }
}

function end_block(    lang, i, action, n, path, text) {
  lang = info
  sub(/[ \t].*/, "", lang)
  if (lang == "console") {
    console_block()
  } else if (lang == "sh" || lang == "bash" || lang == "shell") {
    if (count == 0 || body[1] !~ /^# Not run by tests\/guide: .+/) {
      fail("line " start ": a " lang " block must start with '# Not run by tests/guide: <why>' (use ```console for commands the harness runs)")
      return
    }
    if (match(info, /sandbox=[a-z-]+/)) {
      action = substr(info, RSTART + 8, RLENGTH - 8)
      add("sandbox", start, action " | " body[1])
    } else {
      add("skip", start, body[1])
    }
  } else {
    for (i = 1; i <= count; i++) {
      if (substr(body[i], 1, 2) == "$ ") fail("line " (start + i) ": a command line in a ```" lang " block; only ```console blocks are run")
    }
    if (match(info, /file=[^ \t]+/)) {
      path = substr(info, RSTART + 5, RLENGTH - 5)
      text = ""
      for (i = 1; i <= count; i++) text = text body[i] "\n"
      n = add("file", start, path)
      write(out "/" n ".content", text)
    }
  }
}

BEGIN { steps = 0; inblock = 0; failed = 0; printf "" > (out "/steps") }

/^[ \t]+```/ { if (!inblock) fail("an indented fence; keep fences at column 0 so every block is seen") }

/^```/ {
  if (!inblock) {
    inblock = 1
    info = substr($0, 4)
    start = NR
    count = 0
    next
  }
  if ($0 ~ /^```[ \t]*$/) {
    inblock = 0
    end_block()
    next
  }
}

inblock { body[++count] = $0 }

END {
  if (inblock) fail("a fence opened at line " start " is never closed")
  close(out "/steps")
  exit failed ? 2 : 0
}
