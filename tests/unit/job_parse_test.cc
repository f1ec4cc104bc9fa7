// The job parser against the post's format and a corpus of bad inputs.
#include <gtest/gtest.h>

#include "job/parse.h"

namespace tandem {
namespace {

TEST(JobParse, ThePostsExampleAsItIs) {
  auto jobs = parse_submission(R"({"job_id": "jobId_0", "retry": "3",
      "job_success_string": " ", "ssm_document": "AWS-RunPowerShellScript",
      "commands": ["cd C:\\ProgramData\\Amazon\\SSM; mkdir Result", "dir"]})");
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 1u);
  const JobSpec& j = jobs->front();
  EXPECT_EQ(j.job_id, "jobId_0");
  EXPECT_EQ(j.retry, 3);
  EXPECT_TRUE(j.powershell());
  EXPECT_FALSE(j.checks_output());  // " " disables the check
  EXPECT_EQ(j.commands.size(), 2u);
  EXPECT_EQ(j.script(), "cd C:\\ProgramData\\Amazon\\SSM; mkdir Result\ndir\n");
}

TEST(JobParse, RetryAsNumberOrStringAndDefaults) {
  auto jobs = parse_submission(
      R"([{"job_id": "a", "retry": 2, "commands": ["true"]},
          {"job_id": "b", "retry": " 5 ", "commands": ["true"], "re_run": 1},
          {"job_id": "c", "commands": ["true"], "timeout": 1.5, "env": {"X_1": "y"}}])");
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 3u);
  EXPECT_EQ((*jobs)[0].retry, 2);
  EXPECT_EQ((*jobs)[1].retry, 5);
  EXPECT_EQ((*jobs)[2].retry, 0);
  EXPECT_EQ((*jobs)[2].ssm_document, "AWS-RunShellScript");
  EXPECT_EQ((*jobs)[2].timeout_seconds, 1.5);
  EXPECT_EQ((*jobs)[2].env.at("X_1"), "y");
}

TEST(JobParse, JsonLinesSkipBlankLines) {
  auto jobs = parse_submission("{\"job_id\": \"a\", \"commands\": [\"true\"]}\n\n"
                               "{\"job_id\": \"b\", \"commands\": [\"false\"]}\n");
  ASSERT_TRUE(jobs) << jobs.error().message;
  EXPECT_EQ(jobs->size(), 2u);
}

TEST(JobParse, RoundTripThroughTheQueueFormat) {
  JobSpec s;
  s.job_id = "x/y z";
  s.retry = 4;
  s.success_string = "ok";
  s.commands = {"echo ok", "exit 0"};
  s.timeout_seconds = 30;
  s.env = {{"A", "1"}};
  auto back = job_from_json(job_to_json(s), "job 1");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, s);
}

TEST(JobParse, IdenticalDuplicateKeptOnce) {
  auto jobs = parse_submission(R"([{"job_id": "a", "commands": ["true"]},
                                   {"job_id": "a", "commands": ["true"]}])");
  ASSERT_TRUE(jobs);
  EXPECT_EQ(jobs->size(), 1u);
}

struct BadCase {
  const char* name;
  std::string input;
  std::vector<std::string> expected;  // substrings of the error
};

class BadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInput, IsRefusedWithAClearMessage) {
  const auto& c = GetParam();
  auto jobs = parse_submission(c.input);
  ASSERT_FALSE(jobs) << "accepted: " << c.input;
  EXPECT_EQ(jobs.error().code, ErrorCode::kInvalid);
  for (const auto& s : c.expected)
    EXPECT_NE(jobs.error().message.find(s), std::string::npos)
        << "missing '" << s << "' in: " << jobs.error().message;
}

const std::string kGood = R"({"job_id": "good", "commands": ["true"]})";

INSTANTIATE_TEST_SUITE_P(
    Corpus, BadInput,
    ::testing::Values(
        BadCase{"Empty", "", {"empty"}},
        BadCase{"Blank", "  \n\t ", {"empty"}},
        BadCase{"EmptyArray", "[]", {"empty array"}},
        BadCase{"NotJson", "job_id: a", {"job 1 (line 1)", "not valid JSON"}},
        BadCase{"TrailingCommaAsInThePostsReadme",
                R"({"job_id": "a", "commands": ["true"],})", {"not valid JSON"}},
        BadCase{"NotAnObject", "[1]", {"job 1", "must be a JSON object", "number"}},
        BadCase{"MissingJobId", R"({"commands": ["true"]})", {"field 'job_id'", "missing"}},
        BadCase{"EmptyJobId", R"({"job_id": "", "commands": ["true"]})", {"job_id is empty"}},
        BadCase{"NumericJobId", R"({"job_id": 7, "commands": ["true"]})",
                {"field 'job_id'", "must be a string"}},
        BadCase{"ControlCharInJobId", "{\"job_id\": \"a\\nb\", \"commands\": [\"true\"]}",
                {"control character"}},
        BadCase{"HugeJobId", R"({"job_id": ")" + std::string(2000, 'x') + R"(", "commands": ["true"]})",
                {"2000 bytes", "limit"}},
        BadCase{"MisspeltTimeout", R"({"job_id": "a", "commands": ["true"], "timout": 5})",
                {"job 1 (job_id 'a')", "unknown field 'timout'", "did you mean 'timeout'"}},
        BadCase{"UnknownField", R"({"job_id": "a", "commands": ["true"], "priority": 5})",
                {"unknown field 'priority'"}},
        BadCase{"NegativeRetry", R"({"job_id": "a", "retry": -1, "commands": ["true"]})",
                {"field 'retry'", "whole number"}},
        BadCase{"FractionalRetry", R"({"job_id": "a", "retry": 1.5, "commands": ["true"]})",
                {"field 'retry'"}},
        BadCase{"WordRetry", R"({"job_id": "a", "retry": "three", "commands": ["true"]})",
                {"field 'retry'", "\"three\""}},
        BadCase{"HugeRetry", R"({"job_id": "a", "retry": 100000, "commands": ["true"]})",
                {"field 'retry'", "1000"}},
        BadCase{"BoolRetry", R"({"job_id": "a", "retry": true, "commands": ["true"]})",
                {"field 'retry'"}},
        BadCase{"MissingCommands", R"({"job_id": "a"})", {"field 'commands'", "missing"}},
        BadCase{"EmptyCommands", R"({"job_id": "a", "commands": []})",
                {"field 'commands'", "non-empty"}},
        BadCase{"CommandsAsString", R"({"job_id": "a", "commands": "echo hi"})",
                {"field 'commands'", "array"}},
        BadCase{"NumberInCommands", R"({"job_id": "a", "commands": ["true", 3]})",
                {"item 2", "must be a string"}},
        BadCase{"UnknownDocument",
                R"({"job_id": "a", "ssm_document": "AWS-RunBatch", "commands": ["true"]})",
                {"field 'ssm_document'", "AWS-RunShellScript"}},
        BadCase{"SuccessStringNotString",
                R"({"job_id": "a", "job_success_string": 5, "commands": ["true"]})",
                {"field 'job_success_string'"}},
        BadCase{"ZeroTimeout", R"({"job_id": "a", "timeout": 0, "commands": ["true"]})",
                {"field 'timeout'", "greater than 0"}},
        BadCase{"StringTimeout", R"({"job_id": "a", "timeout": "10", "commands": ["true"]})",
                {"field 'timeout'"}},
        BadCase{"EnvNotObject", R"({"job_id": "a", "env": ["A=1"], "commands": ["true"]})",
                {"field 'env'", "object"}},
        BadCase{"EnvBadName", R"({"job_id": "a", "env": {"1A": "x"}, "commands": ["true"]})",
                {"'1A' is not a valid variable name"}},
        BadCase{"EnvNumberValue", R"({"job_id": "a", "env": {"A": 1}, "commands": ["true"]})",
                {"'A' must be a string"}},
        BadCase{"InvalidUtf8", "{\"job_id\": \"a\xff\", \"commands\": [\"true\"]}",
                {"not valid JSON"}},
        BadCase{"ConflictingDuplicate",
                R"([{"job_id": "a", "commands": ["true"]}, {"job_id": "a", "commands": ["false"]}])",
                {"job 2 (job_id 'a')", "other content"}},
        BadCase{"OneBadJobInABatch",
                "[" + kGood + R"(, {"job_id": "b", "commands": ["true"], "retyr": 1}])",
                {"1 bad job of 2", "nothing was submitted", "job 2 (job_id 'b')", "'retyr'"}},
        BadCase{"BadLineInJsonLines", kGood + "\n{\"job_id\": \"b\"\n" + kGood,
                {"job 2 (line 2)", "not valid JSON"}},
        BadCase{"EveryProblemListed", R"({"job_id": "a", "retry": "x", "commands": []})",
                {"field 'retry'", "field 'commands'"}}),
    [](const ::testing::TestParamInfo<BadCase>& param) { return std::string(param.param.name); });

TEST(JobParse, ManyBadJobsAreSummarised) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "{\"job_id\": \"j" + std::to_string(i) + "\"}\n";
  auto jobs = parse_submission(text);
  ASSERT_FALSE(jobs);
  EXPECT_NE(jobs.error().message.find("50 bad jobs of 50"), std::string::npos);
  EXPECT_NE(jobs.error().message.find("and 30 more"), std::string::npos);
}

}  // namespace
}  // namespace tandem
