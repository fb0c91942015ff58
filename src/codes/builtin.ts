// The platform's code table (fixtures/error-code-table.md is the platform's file), code for code and
// description for description.
// test/unit/codes-table.test.ts parses that Markdown file and compares it with this list, so they cannot drift.
import type { Category } from './category.js';

export interface CodeEntry {
  readonly code: number;
  readonly category: Category;
  /** The platform's own (Chinese) description; `%s` placeholders are kept as they are. */
  readonly description: string;
  readonly description_en: string;
}

const entry = (code: number, category: Category, description: string, description_en: string): CodeEntry =>
  Object.freeze({ code, category, description, description_en });

export const BUILTIN_CODES: readonly CodeEntry[] = Object.freeze([
  // 公共业务状态码
  entry(200, 'success', '开放平台成功处理了您的请求，业务正常结束', 'The platform handled the request; the business operation completed normally'),
  entry(201, 'success', '开放平台成功处理了您的请求，业务正常结束，但可能还有后续建议的流程', 'The platform handled the request and the operation completed, but a follow-up step may be recommended'),
  entry(301, 'upgrade', '请更新客户端', 'Please update the client'),
  entry(302, 'upgrade', '建议升级客户端', 'A client upgrade is recommended'),
  entry(4001, 'client', '缺少参数', 'Missing parameter'),
  entry(4002, 'client', '无效的参数', 'Invalid parameter'),
  entry(4003, 'client', '传入的AppKey无效', 'The AppKey passed is invalid'),
  entry(4004, 'client', '签名无效', 'Invalid signature'),
  entry(4005, 'client', '重复的请求', 'Duplicate request'),
  entry(4006, 'client', '请求时间不在允许范围内', 'Request time is outside the allowed range'),
  entry(401, 'client', '获取身份信息失败,请重新登录!', 'Failed to get identity information, please log in again!'),
  entry(403, 'client', '无权限', 'No permission'),
  entry(4031, 'client', '唯一约束,无权重复', 'Unique constraint: duplicates not allowed'),
  entry(4032, 'client', '无权修改', 'No permission to modify'),
  entry(4033, 'client', '无权删除', 'No permission to delete'),
  entry(4034, 'client', '数据正在使用中,无法被删除!', 'The data is in use and cannot be deleted!'),
  entry(4035, 'client', '上传的文件大小超过最大限制', 'The uploaded file exceeds the maximum size'),
  entry(4036, 'client', 'ID为%s的%s已被禁用', 'ID %s: this %s has been disabled'),
  entry(4037, 'client', '当前应用已被禁用', 'The current application has been disabled'),
  entry(404, 'client', '没有查到相关的数据', 'No matching data found'),
  entry(405, 'client', '不支持的请求方法', 'Request method not supported'),
  entry(415, 'client', '不支持的数据类型', 'Data type not supported'),
  entry(500, 'server', '服务发生错误,请稍后再试', 'Service error, please try again later'),
  entry(5001, 'server', '数据解密失败', 'Data decryption failed'),
  entry(5002, 'server', '数据加密失败', 'Data encryption failed'),
  entry(5003, 'server', 'JSON解码失败', 'JSON decoding failed'),
  entry(501, 'server', '请求的接口暂未实现', 'The requested API is not implemented yet'),
  entry(5021, 'server', '数据库服务连接失败，请稍后再试', 'Database connection failed, please try again later'),
  entry(50211, 'server', '不支持的数据库字段', 'Unsupported database field'),
  entry(50212, 'server', '数据库表或字段信息异常', 'Database table or field information is abnormal'),
  entry(5022, 'server', 'REDIS服务连接失败，请稍后再试', 'Redis connection failed, please try again later'),
  entry(5023, 'server', '发送邮件可能出现异常,请检查收件箱', 'Sending email may have failed, please check the inbox'),
  // 自定义业务状态码
  entry(100001, 'business_quota', '发送邮件过于频繁，请稍后再试', 'Emails are sent too often, please try again later'),
  entry(102002, 'business_quota', '用户账号或密码错误', 'Wrong user account or password'),
  entry(102003, 'business_quota', '注册失败，账号已存在', 'Registration failed: the account already exists'),
  entry(102009, 'business_quota', '实名认证失败', 'Real-name verification failed'),
  entry(101001, 'business_quota', '金额最低为0.1元', 'The minimum amount is 0.1 yuan'),
  entry(101002, 'business_quota', '未找到企业关联任务', 'No task associated with the enterprise was found'),
  entry(101003, 'business_quota', '付款账号不能为空', 'The payment account must not be empty'),
  entry(101004, 'business_quota', '企业可用园区余额不足', "Insufficient balance in the enterprise's available park"),
  entry(101005, 'business_quota', '订单金额超过所属的园区限制', "The order amount exceeds the park's limit"),
  entry(101006, 'business_quota', '未查到企业园区发放通道', "No payout channel found for the enterprise's park"),
  entry(101007, 'business_quota', '未查到企业园区发放通道', "No payout channel found for the enterprise's park"),
  entry(101008, 'business_quota', '仅支持二要素验证', 'Only two-element verification (name and ID number) is supported'),
  entry(101009, 'business_quota', '用户当月发放总额超出园区限制', "The user's payouts this month exceed the park's limit"),
  entry(101010, 'business_quota', '用户当月发放总额超出企业园区限制', "The user's payouts this month exceed the enterprise park's limit"),
  entry(101011, 'business_quota', '企业可用园区或园区未配置普通每月发放额度', 'No regular monthly payout quota is configured for the enterprise park or park'),
  entry(101012, 'business_quota', '企业可用园区或园区未配置大额当月限制', 'No large-amount monthly limit is configured for the enterprise park or park'),
  entry(101013, 'business_quota', '发放额度超过大额限制', 'The payout exceeds the large-amount limit'),
  entry(101014, 'business_quota', '银行摘要不能包含敏感词', 'The bank memo must not contain sensitive words'),
  entry(101015, 'business_quota', '备注不能包含敏感词', 'The remark must not contain sensitive words'),
  entry(101016, 'business_quota', '支付宝单笔不能传入银行卡', 'A bank card cannot be used for a single Alipay payment'),
  // 开放平台特定错误码
  entry(500001, 'platform_auth', '无效的AppKey', 'Invalid AppKey'),
  entry(500002, 'platform_auth', '应用已被禁用', 'The application has been disabled'),
  entry(500003, 'platform_auth', '签名无效', 'Invalid signature'),
  entry(500004, 'platform_auth', '解密数据失败', 'Failed to decrypt data'),
  entry(500005, 'platform_auth', '接口不支持', 'API not supported'),
  entry(500006, 'platform_auth', '缺少必要接口参数', 'Missing required API parameter'),
  entry(500007, 'platform_auth', '不支持的OpenApi通知类型', 'Unsupported OpenApi notification type'),
  entry(500008, 'platform_auth', '通知URL无效', 'Invalid notification URL'),
  entry(500009, 'platform_auth', '重复请求', 'Duplicate request'),
  entry(500010, 'platform_auth', '时间戳无效', 'Invalid timestamp'),
  entry(500011, 'platform_auth', '加密数据失败', 'Failed to encrypt data'),
  entry(500012, 'platform_auth', 'JSON解码失败', 'JSON decoding failed'),
  entry(500013, 'platform_auth', '缺少必要接口参数', 'Missing required API parameter'),
]);

/** The HTTP rows of the table: 200 lets the business code decide; any other status is a system-level error. */
export const HTTP_SYSTEM_DESCRIPTION = '系统级错误，可能是服务器正在维护、网络问题，出现此类故障，请联系技术支持解决';
export const HTTP_SYSTEM_DESCRIPTION_EN =
  'System-level error: the server may be under maintenance or there is a network problem; contact technical support';
