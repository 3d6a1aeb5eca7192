// The action group every Service Health alert rule notifies: it calls the HTTP-triggered
// alert function with the common alert schema, and optionally e-mails people.

metadata name = 'Lifeboat action group'
metadata description = 'Action group with an Azure Function receiver (common alert schema).'

@description('Required. Name of the action group.')
param name string

@description('Required. Short name shown in SMS and e-mail (at most 12 characters).')
@maxLength(12)
param shortName string

@description('Required. Resource id of the Function App.')
param functionAppId string

@description('Required. Default host name of the Function App.')
param functionAppHostName string

@description('Required. Name of the HTTP-triggered function that receives alerts.')
param functionName string

@description('Required. Route of that function below /api/.')
param functionRoute string

@description('Optional. E-mail addresses also notified.')
param notificationEmails array = []

@description('Optional. Tags for the action group.')
param tags object = {}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: name
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: shortName
    enabled: true
    // Azure Monitor reads the function key itself through functionAppResourceId.
    azureFunctionReceivers: [
      {
        name: functionName
        functionAppResourceId: functionAppId
        functionName: functionName
        httpTriggerUrl: 'https://${functionAppHostName}/api/${functionRoute}'
        useCommonAlertSchema: true
      }
    ]
    emailReceivers: [for (email, i) in notificationEmails: {
      name: 'email-${i}'
      emailAddress: email
      useCommonAlertSchema: true
    }]
  }
}

@description('The action group resource id.')
output id string = actionGroup.id
