#!/bin/sh
# GIT_ASKPASS helper: git asks for a username, then a password; the token comes from the environment
# (set only for the git process), so it never lands in a URL, .git/config or a log.
case "$1" in
  Username*) printf '%s\n' "${VIBER_GIT_USERNAME:-x-access-token}" ;;
  *) printf '%s\n' "$VIBER_GIT_TOKEN" ;;
esac
