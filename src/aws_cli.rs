//! The AWS side of the `folio` command: `serve --aws`, `table`, `owner`, `aws-init`.
//! Settings come from the environment exactly as for the origin Lambda.

use crate::error::CommandError;
use crate::serve::Backend;
use folio_origin::adapters::aws::cognito::{CognitoIdentity, create_pool};
use folio_origin::adapters::aws::dynamo::{DynamoEndpoint, DynamoStore, table_definition};
use folio_origin::ports::IdentityError;
use folio_origin::wiring::aws::{AwsSettings, sdk_loader};
use folio_shared::domain::Email;
use folio_shared::settings::{
    AWS_ENDPOINT_URL, AWS_REGION, Setting, TABLE_NAME, USER_POOL_CLIENT_ID, USER_POOL_ID,
};

use crate::env;

fn settings() -> Result<AwsSettings, CommandError> {
    Ok(AwsSettings::from_env(env())?)
}

/// The SDK configuration for a command, refused at once (in one line, with the
/// fix) when no credentials can be found.
pub async fn sdk_for(region: &str) -> Result<aws_config::SdkConfig, CommandError> {
    use aws_credential_types::provider::ProvideCredentials;
    let sdk = sdk_loader(region, env()).load().await;
    let provider = sdk.credentials_provider().ok_or_else(no_credentials)?;
    provider
        .provide_credentials()
        .await
        .map_err(|_| no_credentials())?;
    Ok(sdk)
}

fn no_credentials() -> String {
    "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        .into()
}

/// An identity-provider failure as the command's one line: the API's generic
/// "unavailable" says nothing to the person at the terminal.
fn owner_error(error: IdentityError, region: &str) -> String {
    match error {
        IdentityError::Unavailable { .. } => {
            let endpoint = env()
                .get(&AWS_ENDPOINT_URL)
                .map(|e| format!(" at {e}"))
                .unwrap_or_default();
            format!(
                "cannot create the owner: Cognito in {region}{endpoint} cannot be reached: check the network, AWS_REGION and AWS_ENDPOINT_URL"
            )
        }
        other => format!("cannot create the owner: {other}"),
    }
}

pub async fn backend() -> Result<Backend, CommandError> {
    let settings = settings()?;
    let sdk = sdk_loader(&settings.region, env()).load().await;
    Ok(Backend::Aws {
        settings: Box::new(settings),
        sdk: Box::new(sdk),
    })
}

fn required_env(setting: &Setting) -> Result<String, CommandError> {
    env().get(setting).map(String::from).ok_or_else(|| {
        CommandError::Refused(format!(
            "missing setting {}: set it in the environment",
            setting.name
        ))
    })
}

async fn create_table_named(region: &str, table: &str) -> Result<(), CommandError> {
    let sdk = sdk_for(region).await?;
    println!("Creating table {table} in {region}…");
    let created = crate::dynamo_admin::create_table(&aws_sdk_dynamodb::Client::new(&sdk), table)
        .await
        .map_err(|e| e.to_string())?;
    let store = DynamoStore::connect(&sdk, &DynamoEndpoint::from_env(env()), table)?;
    if created {
        println!("Table {table} is active, TTL on ExpiresAt.");
        // A new table holds no item: marking it indexed is all a migration does.
        folio_origin::repo::content::migrate_all(
            &store,
            region,
            folio_origin::repo::content::Walk::UnlessMarked,
            |_, _| {},
        )
        .await
        .map_err(|e| CommandError::Refused(format!("cannot mark the new table indexed: {e}")))?;
    } else {
        println!(
            "Table {table} exists already; left as it is (`folio migrate --aws` indexes it for lists)."
        );
    }
    Ok(())
}

/// The table a data command works on: AWS_REGION and TABLE_NAME, nothing else.
pub fn table_settings() -> Result<(String, String), CommandError> {
    Ok((required_env(&AWS_REGION)?, required_env(&TABLE_NAME)?))
}

/// `folio table create`: needs only TABLE_NAME and AWS_REGION.
pub async fn create_table() -> Result<(), CommandError> {
    create_table_named(&required_env(&AWS_REGION)?, &required_env(&TABLE_NAME)?).await
}

pub fn print_table_definition() -> Result<(), CommandError> {
    let json = serde_json::to_string_pretty(&table_definition()).map_err(|e| e.to_string())?;
    crate::print_document(&json)
}

fn cognito(settings: &AwsSettings, sdk: &aws_config::SdkConfig) -> CognitoIdentity {
    CognitoIdentity::new(
        aws_sdk_cognitoidentityprovider::Client::new(sdk),
        settings.cognito_config(),
    )
}

pub async fn create_owner(email: &Email, password: &str) -> Result<(), CommandError> {
    let settings = settings()?;
    let sdk = sdk_for(&settings.region).await?;
    cognito(&settings, &sdk)
        .ensure_owner(email, password)
        .await
        .map_err(|e| owner_error(e, settings.pool_region()))?;
    println!(
        "Owner {} is confirmed and in group {} of {}.",
        email.as_str(),
        settings.owner_group,
        settings.user_pool_id
    );
    Ok(())
}

/// `folio aws-init`: everything `serve --aws` needs, created from nothing.
pub async fn init(
    region: &str,
    table: &str,
    email: &Email,
    password: &str,
) -> Result<(), CommandError> {
    create_table_named(region, table).await?;
    let sdk = sdk_for(region).await?;
    let client = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    println!("Creating user pool folio…");
    let (pool_id, client_id) = create_pool(&client, "folio")
        .await
        .map_err(|e| CommandError::Refused(format!("cannot create the user pool: {e}")))?;
    let created = env()
        .clone()
        .with(&AWS_REGION, region)
        .with(&TABLE_NAME, table)
        .with(&USER_POOL_ID, pool_id.clone())
        .with(&USER_POOL_CLIENT_ID, client_id.clone());
    let settings = AwsSettings::from_env(&created)?;
    cognito(&settings, &sdk)
        .ensure_owner(email, password)
        .await
        .map_err(|e| owner_error(e, region))?;
    println!(
        "Owner {} created. Settings for `folio serve --aws`:\n",
        email.as_str()
    );
    println!("export AWS_REGION={region} TABLE_NAME={table}");
    println!("export USER_POOL_ID={pool_id} USER_POOL_CLIENT_ID={client_id}");
    if let Some(endpoint) = env().get(&AWS_ENDPOINT_URL) {
        println!("export JWKS_URL={endpoint}/{pool_id}/.well-known/jwks.json");
    }
    Ok(())
}
