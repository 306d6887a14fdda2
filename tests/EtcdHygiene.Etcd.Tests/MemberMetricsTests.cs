namespace EtcdHygiene.Etcd.Tests;

public sealed class MemberMetricsTests
{
    [Theory]
    [InlineData("etcd_server_quota_backend_bytes 2.097152e+07", 20971520L)]
    [InlineData("# HELP etcd_server_quota_backend_bytes Current backend storage quota size in bytes.\n# TYPE etcd_server_quota_backend_bytes gauge\netcd_server_quota_backend_bytes 2.147483648e+09\n", 2147483648L)]
    [InlineData("etcd_server_quota_backend_bytes{member=\"a\"} 1024", 1024L)]
    [InlineData("etcd_server_quota_backend_bytes_total 5\netcd_server_quota_backend_bytes 8192", 8192L)]
    public void Parse_ReadsTheQuotaSample(string text, long expected) =>
        Assert.Equal(expected, MemberMetrics.Quota(text));

    [Theory]
    [InlineData("")]
    [InlineData("etcd_mvcc_db_total_size_in_bytes 4096")]
    [InlineData("etcd_server_quota_backend_bytes NaN")]
    [InlineData("etcd_server_quota_backend_bytes 0")]
    [InlineData("etcd_server_quota_backend_bytes{ 12")]
    public void Parse_ReturnsNull_WhenThereIsNoUsableSample(string text) =>
        Assert.Null(MemberMetrics.Quota(text));

    [Theory]
    [InlineData("etcd_debugging_mvcc_compact_revision -1", null)]
    [InlineData("etcd_debugging_mvcc_compact_revision 1234", 1234L)]
    [InlineData("etcd_debugging_mvcc_compact_revision_other 5\netcd_debugging_mvcc_compact_revision 6", 6L)]
    public void CompactRevision_IsNullBeforeTheFirstCompaction(string text, long? expected) =>
        Assert.Equal(expected, MemberMetrics.CompactRevision(text));
}
