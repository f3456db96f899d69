//! `redis-hack subscribe`: watch a district, a pincode or a publisher's topic,
//! with optional filters, by email and/or a signed webhook.

use super::{District, DistrictArgs, session, signed_in};
use crate::failure::Failure;
use crate::picker::pick_district;
use crate::prompt::waiting;
use crate::{Context, describe, output};
use redis_hack_shared::{
    AgeLimit, Channels, CreateSubscriptionRequest, CreatedSubscription, Dose, FeeType, Filters,
    MinCapacity, Pincode, QuietHours, TimeZoneName, TopicName, Vaccine, WebhookUrl,
};

/// Watch a district (or a pincode) for open slots that match your filters.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    district: DistrictArgs,
    /// A 6-digit pincode, instead of a district.
    #[arg(long, value_parser = parse_pincode, conflicts_with_all = ["state", "district", "district_id"])]
    pincode: Option<Pincode>,
    /// A publisher's topic (e.g. a class with a waitlist), instead of a district.
    #[arg(long, value_parser = parse_topic, conflicts_with_all = ["state", "district", "district_id", "pincode"])]
    topic: Option<TopicName>,
    /// Also POST each alert to this URL, signed (Standard Webhooks).
    #[arg(long, value_parser = parse_webhook)]
    webhook: Option<WebhookUrl>,
    /// No email alerts: the webhook only (needs --webhook).
    #[arg(long, requires = "webhook")]
    no_email: bool,
    /// Minimum age of the session: 18 or 45.
    #[arg(long, value_parser = parse_age)]
    age: Option<AgeLimit>,
    /// The dose you need: 1 or 2.
    #[arg(long, value_parser = parse_dose)]
    dose: Option<Dose>,
    /// Only this vaccine, e.g. COVISHIELD or COVAXIN.
    #[arg(long, value_parser = parse_vaccine)]
    vaccine: Option<Vaccine>,
    /// Only free or only paid sessions.
    #[arg(long, value_parser = parse_fee)]
    fee: Option<FeeType>,
    /// Alert only when at least this many slots are open (default 1).
    #[arg(long, value_parser = parse_min_capacity)]
    min_capacity: Option<MinCapacity>,
    /// One alert only: then the subscription disarms until `redis-hack rearm ID`.
    #[arg(long)]
    once: bool,
    /// No `Gone:` follow-up when the sessions of an alert have all closed.
    #[arg(long)]
    no_followup: bool,
    /// Hold alerts during this daily window (24-hour, may wrap midnight) and
    /// send one digest when it ends, e.g. 22:00-07:00.
    #[arg(long, value_name = "HH:MM-HH:MM", value_parser = parse_quiet)]
    quiet: Option<QuietHours>,
    /// The time zone of --quiet and of the times in your alerts, an IANA
    /// name (default Asia/Kolkata).
    #[arg(long, value_name = "ZONE", value_parser = parse_tz)]
    tz: Option<TimeZoneName>,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    // The command line first: a usage error needs no sign-in.
    let district = args.district.given(ctx)?;
    let targeted = args.topic.is_some() || args.pincode.is_some();
    if !targeted && matches!(district, District::None) && !ctx.interactive {
        return Err(Failure::usage(
            "--district-id, --state and --district, --pincode or --topic is required when not running in a terminal",
        )
        .into());
    }
    let creds = session(ctx)?;
    let req = request(ctx, args, district).await?;
    let created = waiting(
        ctx,
        "Subscribing…",
        ctx.client.subscribe(&creds.token, &req),
    )
    .await
    .map_err(|e| signed_in(ctx, &creds, e))?;
    if ctx.json {
        return output::json(&created);
    }
    print(&created);
    Ok(())
}

/// The request the flags describe; at a terminal, a district from the picker.
async fn request(
    ctx: &Context,
    args: Args,
    district: District,
) -> anyhow::Result<CreateSubscriptionRequest> {
    let mut req = CreateSubscriptionRequest {
        filters: Filters {
            age: args.age,
            dose: args.dose,
            vaccine: args.vaccine,
            fee: args.fee,
            min_capacity: args.min_capacity,
        },
        channels: Channels {
            email: !args.no_email,
            webhook: args.webhook,
        },
        once: args.once,
        followup: !args.no_followup,
        quiet: args.quiet,
        tz: args.tz,
        ..Default::default()
    };
    match (args.topic, args.pincode, district) {
        (Some(topic), _, _) => req.topic = Some(topic),
        (None, Some(pincode), _) => req.pincode = Some(pincode),
        (None, None, District::Id(id)) => req.district_id = Some(id),
        (None, None, District::Names(s, d)) => (req.state, req.district) = (Some(s), Some(d)),
        (None, None, District::Pick { state_hint }) => {
            req.district_id = Some(pick_district(ctx, state_hint.as_deref()).await?);
        }
        (None, None, District::None) => req.district_id = Some(pick_district(ctx, None).await?),
    }
    Ok(req)
}

fn print(created: &CreatedSubscription) {
    let sub = &created.subscription;
    output::line(&format!(
        "Watching {} ({}) as {}.",
        sub.target, sub.filters, sub.id
    ));
    if let (Some(url), Some(secret)) = (&sub.channels.webhook, &created.webhook_secret) {
        output::line(&format!(
            "Alerts are POSTed to {url}, signed with this secret (shown once, keep it):\n\n  {secret}\n\n\
             Verify each delivery as Standard Webhooks describe: HMAC-SHA256 with the base64 part \
             after the underscore as key, over \"{{webhook-id}}.{{webhook-timestamp}}.{{body}}\", must equal \
             the base64 after v1, in the webhook-signature header (any Standard Webhooks library does it)."
        ));
    }
    let mode = describe::mode(sub);
    if mode != "-" {
        output::line(&format!("Alerts: {mode}."));
    }
    if let Some(open) = describe::open_now(sub) {
        output::line(&open);
    }
}

fn parse_quiet(s: &str) -> Result<QuietHours, String> {
    QuietHours::parse(s).map_err(|e| e.to_string())
}

fn parse_tz(s: &str) -> Result<TimeZoneName, String> {
    TimeZoneName::parse(s).map_err(|e| e.to_string())
}

fn parse_topic(s: &str) -> Result<TopicName, String> {
    TopicName::parse(s).map_err(|e| e.to_string())
}

fn parse_webhook(s: &str) -> Result<WebhookUrl, String> {
    WebhookUrl::parse(s).map_err(|e| e.to_string())
}

fn parse_pincode(s: &str) -> Result<Pincode, String> {
    Pincode::parse(s).map_err(|e| e.to_string())
}

fn parse_number<T>(
    s: &str,
    what: &str,
    make: impl Fn(u32) -> Result<T, redis_hack_shared::FilterError>,
) -> Result<T, String> {
    let n: u32 = s
        .trim()
        .parse()
        .map_err(|_| format!("{what} must be a whole number, not '{s}'"))?;
    make(n).map_err(|e| e.to_string())
}

fn parse_age(s: &str) -> Result<AgeLimit, String> {
    parse_number(s, "age", AgeLimit::try_from)
}

fn parse_dose(s: &str) -> Result<Dose, String> {
    parse_number(s, "dose", Dose::try_from)
}

fn parse_min_capacity(s: &str) -> Result<MinCapacity, String> {
    parse_number(s, "min-capacity", MinCapacity::parse)
}

fn parse_vaccine(s: &str) -> Result<Vaccine, String> {
    Vaccine::parse(s).map_err(|e| e.to_string())
}

fn parse_fee(s: &str) -> Result<FeeType, String> {
    match s.trim().to_lowercase().as_str() {
        "free" => Ok(FeeType::Free),
        "paid" => Ok(FeeType::Paid),
        _ => Err(format!("fee must be free or paid, not '{s}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_flags_accept_only_what_the_server_accepts() {
        assert!(parse_age("45").is_ok());
        assert_eq!(parse_age("30").unwrap_err(), "age must be 18 or 45, not 30");
        assert!(parse_dose("two").unwrap_err().contains("whole number"));
        assert_eq!(parse_fee("FREE").unwrap(), FeeType::Free);
        assert!(parse_fee("cheap").is_err());
        assert_eq!(parse_vaccine("covaxin").unwrap().as_str(), "COVAXIN");
        assert!(parse_min_capacity("0").is_err());
        assert!(parse_pincode("012345").is_err());
        assert_eq!(
            parse_quiet("22:00-07:00").unwrap().to_string(),
            "22:00-07:00"
        );
        assert!(
            parse_quiet("25:00-07:00")
                .unwrap_err()
                .contains("'25:00' is not a time of day")
        );
        assert_eq!(parse_tz("Europe/Berlin").unwrap().as_str(), "Europe/Berlin");
        assert!(
            parse_tz("Mars/Olympus")
                .unwrap_err()
                .contains("is not a time zone")
        );
    }
}
