# bash completion for xrun(1): commands, their options, machine names and
# (for status/wait/cancel) the ids of the store's newest jobs.
_xrun() {
  local cur prev words cword
  _init_completion 2>/dev/null || {
    cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
    words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
  }
  local commands="run submit status list wait cancel poll events send recover tail prune store machines parse version help"
  if ((cword == 1)); then
    COMPREPLY=($(compgen -W "$commands --help" -- "$cur"))
    return
  fi
  case $prev in
    -m|--machine)
      COMPREPLY=($(compgen -W "$(xrun machines list 2>/dev/null | awk 'NR > 1 {print ($1 == "*" ? $2 : $1)}')" -- "$cur"))
      return ;;
    --state)
      COMPREPLY=($(compgen -W "created submitting submitted queued held running completed failed cancelled timeout out_of_memory node_fail preempted lost waiting" -- "$cur"))
      return ;;
    --parser)
      COMPREPLY=($(compgen -W "qe vasp crystal auto" -- "$cur"))
      return ;;
    --spec)
      COMPREPLY=($(compgen -f -- "$cur"))
      return ;;
  esac
  local opts=""
  case ${words[1]} in
    run) opts="-m --json --" ;;
    submit) opts="-m --name --spec --" ;;
    status) opts="--json" ;;
    list) opts="-m --state --limit --json --watch" ;;
    wait) opts="--timeout --json" ;;
    events) opts="--after --follow --json" ;;
    machines)
      if ((cword == 2)); then COMPREPLY=($(compgen -W "list show check" -- "$cur")); return; fi
      opts="--json $(xrun machines list 2>/dev/null | awk 'NR > 1 {print ($1 == "*" ? $2 : $1)}')" ;;
    store)
      if ((cword == 2)); then COMPREPLY=($(compgen -W "info migrate" -- "$cur")); return; fi
      opts="--json" ;;
    parse) opts="--parser --json"; COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
  case ${words[1]} in
    status|wait|cancel|tail|send)
      [[ $cur != -* ]] && opts="$opts $(xrun list --limit 20 2>/dev/null | awk 'NR > 1 {print $1}')" ;;
  esac
  COMPREPLY+=($(compgen -W "$opts" -- "$cur"))
}
complete -F _xrun xrun
