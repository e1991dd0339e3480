using Ferry.Agent;
using static Ferry.Agent.PinnedSettingsFilter;

namespace Ferry.Agent.Tests.Sessions;

public sealed class PinnedSettingsFilterTests
{
    [Theory]
    [InlineData("SET statement_timeout = 0")]
    [InlineData("set STATEMENT_TIMEOUT to 0")]
    [InlineData("SET LOCAL statement_timeout = '0'")]
    [InlineData("SET SESSION \"statement_timeout\" = 0")]
    [InlineData("RESET statement_timeout")]
    [InlineData("SELECT 1; SET statement_timeout = 0")]
    [InlineData("/* hi */ SET -- comment\n statement_timeout = 0")]
    [InlineData("SELECT set_config('statement_timeout', '0', false)")]
    [InlineData("select SET_CONFIG( 'Statement_Timeout' , '0', false)")]
    [InlineData("SELECT set_config($1, '0', false)")]
    [InlineData("DO $$ BEGIN PERFORM set_config('statement_timeout', '0', false); END $$")]
    [InlineData("ALTER ROLE alice SET statement_timeout = 0")]
    public void Postgres_TimeoutChanges_AreRefused(string sql) =>
        Assert.NotNull(Violation(sql, Dialect.Postgres, timeout: true, readOnly: false));

    [Theory]
    [InlineData("SET default_transaction_read_only = off")]
    [InlineData("SET transaction_read_only = off")]
    [InlineData("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")]
    [InlineData("BEGIN READ WRITE")]
    [InlineData("START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE")]
    [InlineData("begin; set transaction read  write; insert into t values (1)")]
    [InlineData("SELECT set_config('default_transaction_read_only', 'off', false)")]
    [InlineData("RESET default_transaction_read_only")]
    public void Postgres_ReadOnlyChanges_AreRefused(string sql) =>
        Assert.NotNull(Violation(sql, Dialect.Postgres, timeout: false, readOnly: true));

    [Theory]
    [InlineData("SELECT 'SET statement_timeout = 0'")]
    [InlineData("SELECT 1 -- SET statement_timeout = 0")]
    [InlineData("SELECT /* SET statement_timeout = 0 */ 1")]
    [InlineData("SHOW statement_timeout")]
    [InlineData("SELECT current_setting('statement_timeout')")]
    [InlineData("SELECT set_config('search_path', 'public', false)")]
    [InlineData("SET search_path = public")]
    [InlineData("BEGIN READ ONLY")]
    [InlineData("SELECT $x$ read write $x$")]
    [InlineData("SELECT 'read write'")]
    public void Postgres_OtherStatements_Pass(string sql) =>
        Assert.Null(Violation(sql, Dialect.Postgres, timeout: true, readOnly: true));

    [Theory]
    [InlineData("SET SESSION max_statement_time = 0")]
    [InlineData("SET @@session.max_statement_time = 0")]
    [InlineData("set `max_execution_time` = 0")]
    [InlineData("SET STATEMENT max_statement_time=0 FOR SELECT SLEEP(60)")]
    [InlineData("/*!50000 SET max_statement_time = 0 */")]
    [InlineData("SELECT /*+ MAX_EXECUTION_TIME(0) */ * FROM t")]
    [InlineData("SET SESSION TRANSACTION READ WRITE")]
    [InlineData("START TRANSACTION READ WRITE")]
    [InlineData("SET tx_read_only = 0")]
    [InlineData("SET @@transaction_read_only = OFF")]
    [InlineData("SELECT 1; SET max_statement_time = 0")]
    public void MySql_Changes_AreRefused(string sql) =>
        Assert.NotNull(Violation(sql, Dialect.MySql, timeout: true, readOnly: true));

    [Theory]
    [InlineData("SELECT @@max_statement_time")]
    [InlineData("SHOW VARIABLES LIKE 'max_statement_time'")]
    [InlineData("SELECT 'SET max_statement_time = 0'")]
    [InlineData("SELECT \"read write\"")]
    [InlineData("SELECT 1 # SET max_statement_time = 0")]
    [InlineData("SELECT 1 -- SET max_statement_time = 0")]
    [InlineData("SELECT /* SET max_statement_time = 0 */ 1")]
    [InlineData("START TRANSACTION READ ONLY")]
    [InlineData("SET NAMES utf8mb4")]
    public void MySql_OtherStatements_Pass(string sql) =>
        Assert.Null(Violation(sql, Dialect.MySql, timeout: true, readOnly: true));

    [Fact]
    public void NothingPinned_NothingRefused() =>
        Assert.Null(Violation("SET statement_timeout = 0", Dialect.Postgres, timeout: false, readOnly: false));

    [Fact]
    public void OnlyThePinnedSettingsAreGuarded()
    {
        Assert.Null(Violation("SET statement_timeout = 0", Dialect.Postgres, timeout: false, readOnly: true));
        Assert.Null(Violation("SET default_transaction_read_only = off", Dialect.Postgres, timeout: true, readOnly: false));
    }
}
