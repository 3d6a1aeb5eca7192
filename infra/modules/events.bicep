// Lifeboat's own events: an Event Grid custom topic in the DR region (CloudEvents 1.0, local
// auth off: the Function App publishes with its managed identity; its EventGrid Data Sender
// role on the topic is assigned in infra/rbac.bicep), and an example subscription to a Storage queue (only when a queue is named).

metadata name = 'Lifeboat events topic'
metadata description = 'Event Grid custom topic for Lifeboat CloudEvents, and an optional queue subscription.'

@description('Required. Name of the custom topic.')
param topicName string

@description('Optional. Region of the topic (the DR region).')
param location string = resourceGroup().location

@description('Optional. Resource id of a storage account for the example subscription.')
param queueStorageAccountId string = ''

@description('Optional. Queue for the example subscription (empty: no subscription).')
param queueName string = ''

@description('Optional. Tags for the topic.')
param tags object = {}

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  // checkov:skip=CKV_AZURE_193:The app has no virtual network to reach a private endpoint from; publishing needs an Entra token (disableLocalAuth), no key works.
  name: topicName
  location: location
  tags: tags
  // Delivers to the example queue with its own identity (no keys in the subscription).
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource queueSubscription 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = if (!empty(queueName) && !empty(queueStorageAccountId)) {
  parent: topic
  name: 'lifeboat-to-queue'
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    destination: {
      endpointType: 'StorageQueue'
      properties: {
        resourceId: queueStorageAccountId
        queueName: queueName
      }
    }
  }
}

@description('The topic name.')
output name string = topic.name

@description('The topic resource id.')
output id string = topic.id

@description('The endpoint Lifeboat publishes to (LIFEBOAT_EVENTS_ENDPOINT).')
output endpoint string = topic.properties.endpoint
