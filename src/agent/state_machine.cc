#include "agent/state_machine.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "job/parse.h"

namespace tandem::agent {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

std::string seconds_text(Millis ms) {
  char buf[32];
  if (ms % 1000 == 0)
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(ms / 1000));
  else
    std::snprintf(buf, sizeof buf, "%.3gs", static_cast<double>(ms) / 1000.0);
  return buf;
}

// Everything a transition needs besides the state and the event.
struct Ctx {
  Millis now;
  const Policy& policy;
};

Step unexpected_event(const State& s, const Event& e) {
  static constexpr const char* kEventNames[] = {
      "Started",         "Received",     "QueueEmpty", "Loaded", "AttemptBegun",
      "Launched",        "LaunchFailed", "Tick",       "Exited", "LeaseLost",
      "CancelRequested", "Shutdown",     "Done",       "Failed"};
  return {s,
          {},
          std::string("ignored event ") + kEventNames[e.index()] + " in phase " +
              std::string(phase_name(s.phase))};
}

Receive receive_action(const State& s, const Ctx& c) {
  Millis wait = c.policy.receive_wait_ms;
  if (c.policy.idle_exit_ms > 0)
    wait = std::clamp(s.idle_since + c.policy.idle_exit_ms - c.now, Millis{0}, wait);
  return Receive{wait};
}

// The slot is free again: stop, or look for the next job.
Step next_job(State s, const Ctx& c, std::string log = {}) {
  s.phase = Polling{};
  s.idle_since = c.now;
  if (s.draining) {
    s.phase = Stopped{"shutdown requested"};
    return {s, {Exit{"shutdown requested"}}, log};
  }
  if (s.own_failures >= c.policy.max_own_failures) {
    std::string why = std::to_string(s.own_failures) +
                      " failures of this worker's own in a row (last: " + s.last_own_failure +
                      "); it takes no more work";
    s.phase = Stopped{why, true};
    return {s, {Exit{why}}, log};
  }
  auto receive = receive_action(s, c);
  return {s, {receive}, log};
}

// Runs `actions` one at a time, then frees the slot.
Step close_with(State s, std::vector<Action> actions, const Ctx& c, std::string log = {}) {
  if (actions.empty()) return next_job(std::move(s), c, std::move(log));
  Action first = actions.front();
  actions.erase(actions.begin());
  const bool finishing = std::holds_alternative<Finish>(first);
  s.phase = Closing{std::move(actions), finishing};
  return {s, {std::move(first)}, std::move(log)};
}

// ---- Polling ----

Step on_received(State s, const Message& msg, const Ctx& c) {
  s.idle_since = c.now;
  s.backend_failures = 0;
  if (s.draining) return close_with(s, {Release{msg, 0}}, c);
  auto json = nlohmann::json::parse(msg.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded())
    return close_with(s, {DeadLetter{msg, "the message is not valid JSON"}}, c,
                      "message " + msg.id + " is not valid JSON: set aside as a dead letter");
  auto spec = job_from_json(json, "message " + msg.id);
  if (!spec)
    return close_with(s, {DeadLetter{msg, spec.error().message}}, c,
                      spec.error().message + ": set aside as a dead letter");
  s.phase = Loading{msg, *spec};
  return {s, {Load{*spec}}, {}};
}

Step on_polling(State s, const Event& e, const Ctx& c) {
  return std::visit(
      Overloaded{
          [&](const Started&) -> Step {
            s.idle_since = c.now;
            return {s, {receive_action(s, c)}, {}};
          },
          [&](const Received& r) { return on_received(s, r.msg, c); },
          [&](const QueueEmpty& q) -> Step {
            s.backend_failures = 0;
            if (q.delayed > 0) s.idle_since = c.now;  // a retry is coming: not idle
            if (c.policy.idle_exit_ms > 0 && c.now - s.idle_since >= c.policy.idle_exit_ms) {
              std::string why = "the queue stayed empty for " + seconds_text(c.policy.idle_exit_ms);
              s.phase = Stopped{why};
              return {s, {Exit{why}}, why};
            }
            return {s, {receive_action(s, c)}, {}};
          },
          [&](const Failed& f) -> Step {
            ++s.backend_failures;
            Millis pause = std::min<Millis>(Millis{100} << std::min(s.backend_failures, 6), 5000);
            return {s,
                    {Pause{pause}, receive_action(s, c)},
                    "cannot receive: " + f.error.to_string() + "; trying again in " +
                        seconds_text(pause)};
          },
          [&](const auto&) { return unexpected_event(s, e); },
      },
      e);
}

// ---- Loading: decide what the message means ----

Step on_loaded(State s, const Loading& l, const JobRecord& job, const Ctx& c) {
  const Message& msg = l.msg;
  const std::string& id = job.spec.job_id;
  if (s.draining) return close_with(s, {Release{msg, 0}}, c);
  if (is_final(job.status))
    return close_with(s, {Remove{msg}}, c,
                      "job '" + id + "' is already " + std::string(to_string(job.status)) +
                          ": duplicate delivery removed");
  if (job.cancel_requested)
    return close_with(s, {Finish{id, Status::kCancelled, "cancelled by user"}, Remove{msg}}, c,
                      "job '" + id + "' was cancelled");
  int open = job.count(Verdict::kRunning);
  int lost = job.count(Verdict::kLost) + open;
  int interrupted = job.count(Verdict::kInterrupted);
  std::string why;
  if (lost >= c.policy.max_lost)
    why = "its worker vanished " + std::to_string(lost) + " times (limit " +
          std::to_string(c.policy.max_lost) + ")";
  else if (interrupted >= c.policy.max_interrupted)
    why = "it was interrupted " + std::to_string(interrupted) + " times (limit " +
          std::to_string(c.policy.max_interrupted) + ")";
  else if (job.charged_attempts() > job.spec.retry)
    why = "all " + std::to_string(job.spec.retry + 1) + " attempts are used";
  if (!why.empty())
    return close_with(s, {Finish{id, Status::kFailed, why}, Remove{msg}}, c,
                      "job '" + id + "' FAILED: " + why);
  int number = static_cast<int>(job.attempts.size()) + 1;
  s.phase = Starting{msg, job, number};
  return {s, {BeginAttempt{id, number}}, {}};
}

Step on_loading(State s, const Loading& l, const Event& e, const Ctx& c) {
  if (auto* loaded = std::get_if<Loaded>(&e)) return on_loaded(s, l, loaded->job, c);
  if (auto* f = std::get_if<Failed>(&e)) {
    Millis delay = backoff(std::max(l.msg.receive_count, 1), c.policy);
    return close_with(s, {Release{l.msg, delay}}, c,
                      "cannot read job '" + l.spec.job_id + "': " + f->error.to_string() +
                          "; message released for " + seconds_text(delay));
  }
  return unexpected_event(s, e);
}

// ---- Ending an attempt ----

// How the attempt's outcome changes the job, and what happens to its message.
Step record_outcome(State s, const Message& msg, const JobRecord& job, Attempt attempt,
                    bool lease_lost, const Ctx& c) {
  const std::string& id = job.spec.job_id;
  Recording r{msg, id, attempt, Status::kPending, attempt.reason, false, std::nullopt, 0};
  switch (attempt.verdict) {
    case Verdict::kSucceeded:
      r.status = Status::kSucceeded;
      r.remove = true;
      break;
    case Verdict::kFailed:
    case Verdict::kTimedOut: {
      int charged = job.charged_attempts() + 1;
      if (charged <= job.spec.retry) {
        Millis delay = backoff(charged, c.policy);
        r.delay_ms = delay;
        r.reason = "attempt " + std::to_string(attempt.number) + ": " + attempt.reason +
                   "; retry " + std::to_string(charged) + " of " + std::to_string(job.spec.retry) +
                   " in " + seconds_text(delay);
      } else {
        r.status = Status::kFailed;
        r.remove = true;
        r.reason = "failed " + std::to_string(charged) + " of " +
                   std::to_string(job.spec.retry + 1) + " attempts; last: " + attempt.reason;
      }
      break;
    }
    case Verdict::kCancelled:
      r.status = Status::kCancelled;
      r.remove = true;
      break;
    case Verdict::kInterrupted:
      if (job.count(Verdict::kInterrupted) + 1 >= c.policy.max_interrupted) {
        r.status = Status::kFailed;
        r.remove = true;
        r.reason = "interrupted " + std::to_string(c.policy.max_interrupted) +
                   " times; last: " + attempt.reason;
      } else {
        r.delay_ms = 0;
      }
      break;
    case Verdict::kLost:
    case Verdict::kRunning: break;
  }
  if (lease_lost) {  // another agent may hold the message now: leave it alone
    r.remove = false;
    r.delay_ms.reset();
  }
  std::string log = "job '" + id + "' attempt " + std::to_string(attempt.number) + ": " +
                    std::string(to_string(attempt.verdict)) + " (" + attempt.reason + ") -> " +
                    std::string(to_string(r.status));
  Record record{id, attempt, r.status, r.reason};
  s.phase = std::move(r);
  return {s, {std::move(record)}, log};
}

Attempt new_attempt(int number, Millis started_at, Millis now) {
  Attempt a;
  a.number = number;
  a.started_at = started_at;
  a.ended_at = now;
  return a;
}

// ---- Starting ----

Step on_starting(State s, const Starting& st, const Event& e, const Ctx& c) {
  return std::visit(
      Overloaded{
          [&](const AttemptBegun&) -> Step {
            return {s, {Launch{st.job.spec, st.number}}, {}};
          },
          [&](const Launched&) -> Step {
            Running r{st.msg, st.job, st.number, c.now, std::nullopt, std::nullopt, {}, false};
            if (st.job.spec.timeout_seconds)
              r.deadline = c.now + static_cast<Millis>(*st.job.spec.timeout_seconds * 1000.0);
            s.phase = std::move(r);
            return {s, {}, {}};
          },
          [&](const LaunchFailed& f) -> Step {
            Attempt a = new_attempt(st.number, c.now, c.now);
            if (f.error.code == ErrorCode::kInvalid) {  // the job cannot run here
              a.verdict = Verdict::kFailed;
              a.reason = "cannot start: " + f.error.message;
            } else {  // this worker's own trouble: not the job's fault
              ++s.own_failures;
              s.last_own_failure = f.error.message;
              a.verdict = Verdict::kInterrupted;
              a.reason = "this worker could not start it: " + f.error.message;
            }
            return record_outcome(s, st.msg, st.job, a, false, c);
          },
          [&](const Failed& f) -> Step {
            return close_with(s, {Release{st.msg, 0}}, c,
                              "cannot begin attempt " + std::to_string(st.number) + " of job '" +
                                  st.job.spec.job_id + "': " + f.error.to_string() +
                                  "; message released");
          },
          [&](const auto&) { return unexpected_event(s, e); },
      },
      e);
}

// ---- Running ----

Step kill(State s, Running r, Verdict verdict, std::string reason) {
  if (r.kill_verdict) {  // already being killed: keep the first reason
    s.phase = std::move(r);
    return {s, {}, {}};
  }
  std::string log = "job '" + r.job.spec.job_id + "' attempt " + std::to_string(r.number) +
                    ": stopping it: " + reason;
  r.kill_verdict = verdict;
  r.kill_reason = std::move(reason);
  s.phase = std::move(r);
  return {s, {Terminate{}}, log};
}

Step on_running(State s, const Running& r, const Event& e, const Ctx& c) {
  return std::visit(
      Overloaded{
          [&](const Tick&) -> Step {
            if (r.deadline && c.now >= *r.deadline)
              return kill(s, r, Verdict::kTimedOut,
                          "timed out after " + seconds_text(*r.deadline - r.started_at));
            return {s, {}, {}};
          },
          [&](const CancelRequested&) {
            return kill(s, r, Verdict::kCancelled, "cancelled by user");
          },
          [&](const LeaseLost&) {
            Running lost = r;
            lost.lease_lost = true;
            return kill(s, lost, Verdict::kLost,
                        "this agent lost the job's lease (it could not renew it in time)");
          },
          [&](const Exited& x) -> Step {
            Attempt a = new_attempt(r.number, r.started_at, c.now);
            a.exit_code = x.outcome.exit_code;
            a.output_tail = x.outcome.output_tail;
            if (r.kill_verdict) {
              a.verdict = *r.kill_verdict;
              a.reason = r.kill_reason;
            } else {
              std::tie(a.verdict, a.reason) = judge(r.job.spec, x.outcome);
            }
            s.own_failures = 0;
            return record_outcome(s, r.msg, r.job, std::move(a), r.lease_lost, c);
          },
          [&](const auto&) { return unexpected_event(s, e); },
      },
      e);
}

// ---- Recording and Closing ----

Step on_recording(State s, const Recording& r, const Event& e, const Ctx& c) {
  if (std::holds_alternative<Done>(e)) {
    std::vector<Action> then;
    if (r.remove)
      then.push_back(Remove{r.msg});
    else if (r.delay_ms)
      then.push_back(Release{r.msg, *r.delay_ms});
    return close_with(s, std::move(then), c);
  }
  if (auto* f = std::get_if<Failed>(&e)) {
    std::string what = "cannot record attempt " + std::to_string(r.attempt.number) + " of job '" +
                       r.job_id + "': " + f->error.to_string();
    if (f->error.code == ErrorCode::kConflict)  // closed elsewhere: the job is not ours
      return next_job(s, c, what + "; left to the agent that holds it now");
    Recording again = r;
    if (++again.tries >= c.policy.max_record_tries)
      return next_job(s, c, what + "; giving up: its lease will lapse and it runs again");
    Millis pause = std::min<Millis>(Millis{250} << again.tries, 5000);
    Record record{r.job_id, r.attempt, r.status, r.reason};
    s.phase = std::move(again);
    return {
        s, {Pause{pause}, std::move(record)}, what + "; trying again in " + seconds_text(pause)};
  }
  return unexpected_event(s, e);
}

Step on_closing(State s, const Closing& cl, const Event& e, const Ctx& c) {
  std::string log;
  if (auto* f = std::get_if<Failed>(&e)) {
    // The message goes only after the outcome is recorded: if a final status could not
    // be written (a conflict means it already is final), keep the message; its lease
    // lapses and the job is looked at again.
    if (cl.finishing && f->error.code != ErrorCode::kConflict)
      return next_job(s, c,
                      "could not record the job's final status: " + f->error.to_string() +
                          "; its message stays and comes back when the lease lapses");
    log = "could not close the message: " + f->error.to_string();
  } else if (!std::holds_alternative<Done>(e)) {
    return unexpected_event(s, e);
  }
  return close_with(s, cl.remaining, c, log);
}

Step on_shutdown(State s, const Shutdown& sd, const Ctx& c) {
  s.draining = true;
  if (std::holds_alternative<Polling>(s.phase)) {
    s.phase = Stopped{"shutdown requested"};
    return {s, {Exit{"shutdown requested"}}, "shutdown requested: stopping"};
  }
  if (auto* r = std::get_if<Running>(&s.phase); r && sd.now)
    return kill(s, *r, Verdict::kInterrupted,
                "returned to the queue: " +
                    (sd.why.empty() ? std::string("the agent was asked to stop") : sd.why));
  (void)c;
  return {s, {}, "shutdown requested: finishing the current job first"};
}

}  // namespace

std::pair<Verdict, std::string> judge(const JobSpec& spec, const RunOutcome& outcome) {
  if (outcome.term_signal) {
    const char* name = sigabbrev_np(*outcome.term_signal);
    return {Verdict::kFailed, "killed by signal " + std::to_string(*outcome.term_signal) +
                                  (name ? std::string(" (SIG") + name + ")" : "")};
  }
  int code = outcome.exit_code.value_or(-1);
  if (code != 0) return {Verdict::kFailed, "exit code " + std::to_string(code)};
  if (spec.checks_output() && !outcome.success_string_seen)
    return {Verdict::kFailed, "exit code 0, but the output does not contain the success string \"" +
                                  spec.success_string + "\""};
  if (spec.checks_output())
    return {Verdict::kSucceeded, "exit code 0 and the success string found"};
  return {Verdict::kSucceeded, "exit code 0"};
}

Millis backoff(int charged, const Policy& policy) {
  Millis delay = policy.backoff_base_ms;
  for (int i = 1; i < charged && delay < policy.backoff_max_ms; ++i) delay *= 2;
  return std::min(delay, policy.backoff_max_ms);
}

std::string_view phase_name(const Phase& phase) {
  static constexpr std::string_view kNames[] = {"Polling",   "Loading", "Starting", "Running",
                                                "Recording", "Closing", "Stopped"};
  return kNames[phase.index()];
}

Step transition(const State& state, const Event& event, Millis now, const Policy& policy) {
  const Ctx c{now, policy};
  if (std::holds_alternative<Stopped>(state.phase)) return unexpected_event(state, event);
  if (auto* sd = std::get_if<Shutdown>(&event)) return on_shutdown(state, *sd, c);
  return std::visit(Overloaded{
                        [&](const Polling&) { return on_polling(state, event, c); },
                        [&](const Loading& l) { return on_loading(state, l, event, c); },
                        [&](const Starting& st) { return on_starting(state, st, event, c); },
                        [&](const Running& r) { return on_running(state, r, event, c); },
                        [&](const Recording& r) { return on_recording(state, r, event, c); },
                        [&](const Closing& cl) { return on_closing(state, cl, event, c); },
                        [&](const Stopped&) { return unexpected_event(state, event); },
                    },
                    state.phase);
}

}  // namespace tandem::agent
