#!/usr/bin/env bash
# Starts the local RabbitMQ and PostgreSQL if they are down (they run on this kind of machine).
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 1; done
  return 1
}

if ! port_open 5672; then
  if command -v rabbitmq-server >/dev/null; then
    echo "RabbitMQ 未运行，正在启动（rabbitmq-server -detached）……"
    rabbitmq-server -detached
    wait_port 5672 || { echo "RabbitMQ 启动失败，请手动运行：rabbitmq-server -detached" >&2; exit 1; }
    rabbitmqctl await_startup >/dev/null 2>&1 || true
  else
    echo "RabbitMQ 不可达（127.0.0.1:5672）。请安装并启动：rabbitmq-server -detached，或设置 QCFLOW_AMQP_URL。" >&2
    exit 1
  fi
fi

# The management API (also the operators' UI): the tests create a virtual host per test through
# it in milliseconds; each rabbitmqctl call instead boots an Erlang VM for about a second.
if ! port_open 15672 && command -v rabbitmq-plugins >/dev/null; then
  if ! { rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 && wait_port 15672; }; then
    echo "提示：未能启用 RabbitMQ 管理插件，测试将改用 rabbitmqctl（较慢）。" >&2
  fi
fi

if [ "${1:-}" = "--with-postgres" ] && ! port_open 5432; then
  echo "PostgreSQL 未运行，正在启动……"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  wait_port 5432 || { echo "PostgreSQL 启动失败" >&2; exit 1; }
fi
